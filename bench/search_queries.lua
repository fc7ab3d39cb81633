-- wrk script shared by bench/http_load.sh and bench/soak.sh: POST searches in
-- M3_MODE over eight queries in seven languages, k 10, against the collection named "sample".
local queries = {"file not found", "Datei nicht gefunden", "image au format PNG", "сетевое подключение",
                 "圧縮されたアーカイブ", "音频文件", "documento de texto", "network connection failed"}
local mode = os.getenv("M3_MODE")
local i = 0
request = function()
  i = i + 1
  local body = string.format('{"query": "%s", "mode": "%s", "k": 10}', queries[(i % #queries) + 1], mode)
  return wrk.format("POST", "/collections/sample/search", {["Content-Type"] = "application/json"}, body)
end
