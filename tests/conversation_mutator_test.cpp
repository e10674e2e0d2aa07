// Placeholder: filled in by the tests for the live fuzzer's core.
#include <gtest/gtest.h>
