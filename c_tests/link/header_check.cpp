// header_check.cpp - the same header check compiled as C++ (C++11 and C++17).
#include "header_check.c"
