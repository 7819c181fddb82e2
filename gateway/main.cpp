// hybridgw command line: serve, check, explain, hash-key, cost-report, eval.
#include "gateway/cli/Cli.hpp"

int main(int argc, char** argv) { return hgw::cli::run(argc, argv); }
