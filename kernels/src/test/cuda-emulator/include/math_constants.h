/* Stand-in for CUDA's math_constants.h in the CPU emulation of the kernels. */
#pragma once
#include <cmath>
#define CUDART_INF INFINITY
