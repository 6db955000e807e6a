// libFuzzer target for the SSE and NDJSON parsers (both in one target, or one of them when
// FUZZ_SSE_ONLY / FUZZ_NDJSON_ONLY is defined — see tests/fuzz/CMakeLists.txt).
#include "tests/support/ParserInvariants.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const QList<qsizetype> splits = parserinvariants::derivedSplits(input);
#if defined(FUZZ_SSE_ONLY)
    if (parserinvariants::sseEvents(input, {}) != parserinvariants::sseEvents(input, splits)) {
        std::fputs("SSE events depend on the split points\n", stderr);
        std::abort();
    }
#elif defined(FUZZ_NDJSON_ONLY)
    if (parserinvariants::ndjsonLines(input, {}) != parserinvariants::ndjsonLines(input, splits)) {
        std::fputs("NDJSON lines depend on the split points\n", stderr);
        std::abort();
    }
#else
    if (const char *broken = parserinvariants::check(input, splits)) {
        std::fputs(broken, stderr);
        std::abort();
    }
#endif
    return 0;
}
