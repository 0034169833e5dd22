// An invariant check for fuzz targets: it holds in release builds and ends the run as a crash,
// so libFuzzer saves the input that broke it.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace fuzz {

[[noreturn]] inline void fail(const char *condition, const char *file, int line)
{
    std::fprintf(stderr, "FUZZ CHECK failed: %s at %s:%d\n", condition, file, line);
    std::abort();
}

} // namespace fuzz

#define FUZZ_CHECK(condition) ((condition) ? void() : fuzz::fail(#condition, __FILE__, __LINE__))
