// The command-line front end of the hybridgw executable.
#pragma once

namespace hgw::cli {

// Parses argv, runs the sub-command, returns the process exit code. Never throws.
int run(int argc, char** argv);

}  // namespace hgw::cli
