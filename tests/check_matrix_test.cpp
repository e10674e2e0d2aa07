// Placeholder: filled in by the tests for the check matrix and runner.
#include <gtest/gtest.h>
