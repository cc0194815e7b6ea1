// Catch2 main for every keyward test executable.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
