// Included as C++14 by the ctest cpp_wrapper_rejects_cxx14_with_one_clear_error_<compiler>:
// simd_r_drive.hpp must stop with its one #error, not a cascade of errors after it.
#include <simd_r_drive.hpp>

int main() { return 0; }
