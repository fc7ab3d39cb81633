// Sub-command registry for the m3 program: each tools/cmd_<name>.cpp registers itself with
// M3_COMMAND(name, setup), so adding a command never touches main.cpp.
//   setup(CLI::App& sub) declares the flags and sets sub.callback(...).
// Errors: throw m3::UsageError (exit 2) or m3::Error (exit 1); main prints "m3 <cmd>: <message>".
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace m3::tools {

struct Command {
  std::string name, description;
  std::function<void(CLI::App&)> setup;
};

std::vector<Command>& commands();

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string description, std::function<void(CLI::App&)> setup) {
    commands().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace m3::tools

#define M3_COMMAND_CAT2(a, b) a##b
#define M3_COMMAND_CAT(a, b) M3_COMMAND_CAT2(a, b)
// Variadic so that a setup lambda containing commas (braced initialisers) needs no extra parentheses.
#define M3_COMMAND(name, description, ...) \
  static ::m3::tools::CommandRegistrar M3_COMMAND_CAT(m3_command_, __LINE__)(name, description, __VA_ARGS__)
