// m3: the command-line program. Sub-commands live in tools/cmd_*.cpp and register themselves.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "common/error.h"
#include "tools/command.h"

namespace m3::tools {
std::vector<Command>& commands() {
  static std::vector<Command> all;
  return all;
}
}  // namespace m3::tools

// libgomp reads OMP_WAIT_POLICY when it is loaded, before main(). Its default (spinning workers)
// collapses when another process shares the cores: measured 1.5 s passive vs 9.9 s active for the
// same `m3 encode` run with 2 threads on a loaded 2-core machine. So unless the user chose a policy,
// re-execute once with PASSIVE.
static void prefer_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("M3_NO_REEXEC")) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::setenv("M3_NO_REEXEC", "1", 1);
  ::execv("/proc/self/exe", argv);  // on failure, carry on with the default policy
}

int main(int argc, char** argv) {
  prefer_passive_openmp(argv);
  CLI::App app{"m3: hybrid search engine for the M3 embedding model (dense + sparse + multi-vector)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "m3 0.1");
  auto& cmds = m3::tools::commands();
  std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& c : cmds) c.setup(*app.add_subcommand(c.name, c.description));
  std::string current = "m3";
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Unknown flags, bad values, missing arguments: usage errors, exit code 2.
    for (auto* sub : app.get_subcommands()) current = "m3 " + sub->get_name();
    std::cerr << current << ": " << e.what() << "\n(run '" << current << " --help' for usage)\n";
    return 2;
  } catch (const m3::UsageError& e) {
    for (auto* sub : app.get_subcommands()) current = "m3 " + sub->get_name();
    std::cerr << current << ": " << e.what() << "\n";
    return 2;
  } catch (const m3::Error& e) {
    for (auto* sub : app.get_subcommands()) current = "m3 " + sub->get_name();
    std::cerr << current << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    for (auto* sub : app.get_subcommands()) current = "m3 " + sub->get_name();
    std::cerr << current << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
