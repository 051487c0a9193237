# Installation of simd_r_drive and the tests that prove a fresh prefix is usable.
#
#   cmake --install <build> [--prefix <dir>]
#
# puts into the prefix (libdir is CMAKE_INSTALL_LIBDIR, usually lib):
#
#   include/simd_r_drive.h, include/simd_r_drive.hpp
#   lib/libsimd_r_drive.so.<version>                  the shared library (SONAME libsimd_r_drive.so.0.<minor>,
#   lib/libsimd_r_drive.so.0.<minor> -> .so.<version>  .so.<major> from 1.0 on)
#   lib/libsimd_r_drive.so -> .so.0.<minor>           for -lsimd_r_drive at link time
#   lib/libsimd_r_drive.a
#   lib/pkgconfig/simd_r_drive.pc                    pkg-config (written at install time for the real prefix)
#   lib/cmake/simd_r_drive/simd_r_driveConfig.cmake, simd_r_driveConfigVersion.cmake
#                                                    find_package(simd_r_drive CONFIG): simd_r_drive::simd_r_drive
#                                                    (shared), simd_r_drive::static
#
# install(TARGETS) does not work on the IMPORTED targets the root CMakeLists.txt defines, so
# the files are installed as files and the package configuration is written by hand
# (cmake/simd_r_driveConfig.cmake.in). scripts/install.sh writes the same layout without CMake.
#
# Included from the root CMakeLists.txt; uses its SRD_* variables.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SRD_SHARED_REAL_NAME "libsimd_r_drive.so.${PROJECT_VERSION}")
set(SRD_INSTALL_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
set(SRD_INSTALL_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
set(SRD_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/simd_r_drive")
# find_package(simd_r_drive X.Y) accepts versions of the same ABI series as the SONAME:
# the same minor version while 0.x, the same major version from 1.0 on.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(SRD_VERSION_COMPATIBILITY SameMinorVersion)
else()
  set(SRD_VERSION_COMPATIBILITY SameMajorVersion)
endif()

set(_srd_staging "${PROJECT_BINARY_DIR}/install-staging")
file(MAKE_DIRECTORY "${_srd_staging}")

# --- libraries -------------------------------------------------------------------------------
set(_srd_lib_permissions OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                         WORLD_READ WORLD_EXECUTE)
install(FILES "${SRD_SHARED_VERSIONED}"
        DESTINATION "${SRD_INSTALL_LIBDIR}"
        RENAME "${SRD_SHARED_REAL_NAME}"
        PERMISSIONS ${_srd_lib_permissions})
# The symlink chain libsimd_r_drive.so -> SONAME -> real file, made here and installed as links.
file(CREATE_LINK "${SRD_SHARED_REAL_NAME}" "${_srd_staging}/${SRD_SONAME}" SYMBOLIC)
file(CREATE_LINK "${SRD_SONAME}" "${_srd_staging}/libsimd_r_drive.so" SYMBOLIC)
install(FILES "${_srd_staging}/${SRD_SONAME}" "${_srd_staging}/libsimd_r_drive.so"
        DESTINATION "${SRD_INSTALL_LIBDIR}")
install(FILES "${SRD_CARGO_STATIC}" DESTINATION "${SRD_INSTALL_LIBDIR}")
# cmake --install --strip: install(FILES) is never stripped by CMake, so strip the two libraries
# here (the release profile keeps debug info: 6.2 MB shared library, ~0.6 MB stripped).
# --strip-unneeded keeps the .so's dynamic symbols; --strip-debug keeps the archive's symbols.
if(IS_ABSOLUTE "${SRD_INSTALL_LIBDIR}")
  set(_srd_strip_dir "\$ENV{DESTDIR}${SRD_INSTALL_LIBDIR}")
else()
  set(_srd_strip_dir "\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${SRD_INSTALL_LIBDIR}")
endif()
if(CMAKE_STRIP)
  install(CODE "
if(CMAKE_INSTALL_DO_STRIP)
  foreach(_srd_pair \"--strip-unneeded;${SRD_SHARED_REAL_NAME}\" \"--strip-debug;libsimd_r_drive.a\")
    list(GET _srd_pair 0 _srd_how)
    list(GET _srd_pair 1 _srd_file)
    message(STATUS \"Stripping: ${_srd_strip_dir}/\${_srd_file}\")
    execute_process(COMMAND \"${CMAKE_STRIP}\" \${_srd_how} \"${_srd_strip_dir}/\${_srd_file}\"
                    RESULT_VARIABLE _srd_rc)
    if(NOT _srd_rc EQUAL 0)
      message(FATAL_ERROR \"${CMAKE_STRIP} \${_srd_how} ${_srd_strip_dir}/\${_srd_file} failed\")
    endif()
  endforeach()
endif()
")
endif()

# --- headers -----------------------------------------------------------------------------------
install(FILES "${SRD_INCLUDE_DIR}/simd_r_drive.h" "${SRD_INCLUDE_DIR}/simd_r_drive.hpp"
        DESTINATION "${SRD_INSTALL_INCLUDEDIR}")

# --- CMake package -----------------------------------------------------------------------------
# The static library's system libraries (the list rustc reports, from CMakeLists.txt).
set(SRD_NATIVE_LIBS_CMAKE "${_srd_native_libs}")
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/simd_r_driveConfig.cmake.in"
  "${_srd_staging}/simd_r_driveConfig.cmake"
  INSTALL_DESTINATION "${SRD_INSTALL_CMAKEDIR}"
  PATH_VARS SRD_INSTALL_INCLUDEDIR SRD_INSTALL_LIBDIR)
write_basic_package_version_file(
  "${_srd_staging}/simd_r_driveConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY ${SRD_VERSION_COMPATIBILITY})
install(FILES "${_srd_staging}/simd_r_driveConfig.cmake"
              "${_srd_staging}/simd_r_driveConfigVersion.cmake"
        DESTINATION "${SRD_INSTALL_CMAKEDIR}")

# --- pkg-config --------------------------------------------------------------------------------
# Written at install time, so that `prefix=` is the prefix really installed into
# (cmake --install --prefix <dir> chooses it after configuration).
set(_srd_pc_libs_private "")
foreach(_srd_lib IN LISTS _srd_native_libs)
  if(_srd_lib MATCHES "^-")
    string(APPEND _srd_pc_libs_private " ${_srd_lib}")
  else()
    string(APPEND _srd_pc_libs_private " -l${_srd_lib}")
  endif()
endforeach()
string(STRIP "${_srd_pc_libs_private}" _srd_pc_libs_private)
foreach(_srd_kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${SRD_INSTALL_${_srd_kind}}")
    set(_srd_pc_${_srd_kind} "${SRD_INSTALL_${_srd_kind}}")
  elseif(_srd_kind STREQUAL "LIBDIR")
    set(_srd_pc_${_srd_kind} "\${exec_prefix}/${SRD_INSTALL_${_srd_kind}}")
  else()
    set(_srd_pc_${_srd_kind} "\${prefix}/${SRD_INSTALL_${_srd_kind}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${SRD_INSTALL_LIBDIR}")
  set(_srd_pc_dest "\$ENV{DESTDIR}${SRD_INSTALL_LIBDIR}/pkgconfig/simd_r_drive.pc")
else()
  set(_srd_pc_dest "\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${SRD_INSTALL_LIBDIR}/pkgconfig/simd_r_drive.pc")
endif()
# prefix= is relative to the .pc file (${pcfiledir}, which pkg-config sets to the directory it
# found the file in), so a moved prefix keeps working; an absolute libdir names the prefix.
if(IS_ABSOLUTE "${SRD_INSTALL_LIBDIR}")
  set(_srd_pc_prefix_arg "\"\${CMAKE_INSTALL_PREFIX}\"")   # evaluated at install time
else()
  set(_srd_pc_prefix_line "\${pcfiledir}")
  string(REPLACE "/" ";" _srd_pc_parts "${SRD_INSTALL_LIBDIR}/pkgconfig")
  foreach(_srd_part IN LISTS _srd_pc_parts)
    if(NOT _srd_part STREQUAL "" AND NOT _srd_part STREQUAL ".")
      string(APPEND _srd_pc_prefix_line "/..")
    endif()
  endforeach()
  set(_srd_pc_prefix_arg "[==[${_srd_pc_prefix_line}]==]")          # written as it is
endif()
file(WRITE "${_srd_staging}/install_pkgconfig.cmake" "\
# Generated by cmake/SrdInstall.cmake: writes simd_r_drive.pc for the install prefix.
set(SRD_PC_PREFIX ${_srd_pc_prefix_arg})
set(SRD_PC_LIBDIR [==[${_srd_pc_LIBDIR}]==])
set(SRD_PC_INCLUDEDIR [==[${_srd_pc_INCLUDEDIR}]==])
set(SRD_PC_VERSION [==[${PROJECT_VERSION}]==])
set(SRD_PC_LIBS_PRIVATE [==[${_srd_pc_libs_private}]==])
set(_srd_pc_file \"${_srd_pc_dest}\")
message(STATUS \"Installing: \${_srd_pc_file}\")
configure_file([==[${CMAKE_CURRENT_LIST_DIR}/simd_r_drive.pc.in]==] \"\${_srd_pc_file}\" @ONLY)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${_srd_pc_file}\")
")
install(SCRIPT "${_srd_staging}/install_pkgconfig.cmake")

# --- tests -------------------------------------------------------------------------------------
if(SRD_BUILD_TESTS)
  set(_srd_ct_src "${PROJECT_SOURCE_DIR}/consumer_tests")
  set(_srd_ct_dir "${PROJECT_BINARY_DIR}/consumer-tests")
  set(_srd_prefix_cmake "${_srd_ct_dir}/prefix-cmake-install")
  set(_srd_prefix_sh "${_srd_ct_dir}/prefix-install-sh")
  set(_srd_scratch_root "${PROJECT_BINARY_DIR}/test-scratch")
  foreach(_srd_tool nm readelf)
    string(TOUPPER "${_srd_tool}" _srd_TOOL)
    if(CMAKE_${_srd_TOOL})
      set(_srd_${_srd_tool} "${CMAKE_${_srd_TOOL}}")
    else()
      find_program(SRD_${_srd_TOOL}_PROGRAM ${_srd_tool})
      set(_srd_${_srd_tool} "${SRD_${_srd_TOOL}_PROGRAM}")
    endif()
  endforeach()
  # This file is included before cmake/SrdTests.cmake: the same sanitizer / valgrind setup.
  set(_srd_cxx_sanitize "")
  if(SRD_SANITIZE)
    set(_srd_cxx_sanitize -fsanitize=address,undefined -fno-omit-frame-pointer
                          -fno-sanitize-recover=all)
  endif()
  set(_srd_cxx_launcher "")
  set(_srd_cxx_timeout 600)
  if(SRD_VALGRIND)
    find_program(SRD_VALGRIND_PROGRAM valgrind)
    if(SRD_VALGRIND_PROGRAM)
      set(_srd_cxx_launcher "${SRD_VALGRIND_PROGRAM}" --error-exitcode=1 --leak-check=full
                            --errors-for-leak-kinds=definite)
      set(_srd_cxx_timeout 3600)
    endif()
  endif()

  # The install, consumer, ABI, dialect and documentation tests do not depend on how test
  # programs are instrumented: they run in the plain build only, not again under ASan/valgrind.
  if(SRD_SANITIZE OR SRD_VALGRIND)
    set(_srd_plain_build FALSE)
  else()
    set(_srd_plain_build TRUE)
  endif()
  set(_srd_compile "${_srd_ct_src}/compile_and_run.sh")

  if(_srd_plain_build)
    # (1) cmake --install into a fresh temporary prefix, and the layout it produced.
    add_test(NAME install_cmake_install_puts_libraries_headers_and_packages_into_a_prefix
      COMMAND sh "${_srd_ct_src}/install_with_cmake.sh" "${CMAKE_COMMAND}" "${PROJECT_BINARY_DIR}"
              "${_srd_prefix_cmake}" "${SRD_SONAME}" "${PROJECT_VERSION}" "${PROJECT_SOURCE_DIR}"
              "${_srd_readelf}" "${_srd_nm}")
    set_tests_properties(install_cmake_install_puts_libraries_headers_and_packages_into_a_prefix
      PROPERTIES FIXTURES_SETUP srd_prefix_cmake TIMEOUT 300)

    # (2) scripts/install.sh (the cargo-only way) into another prefix: the same layout.
    add_test(NAME install_sh_puts_the_same_layout_into_a_prefix
      COMMAND sh "${_srd_ct_src}/install_with_script.sh" "${PROJECT_SOURCE_DIR}/scripts/install.sh"
              "${SRD_CARGO_TARGET_DIR}" "${_srd_prefix_sh}" "${_srd_prefix_cmake}" "${SRD_SONAME}"
              "${PROJECT_VERSION}" "${PROJECT_SOURCE_DIR}" "${_srd_readelf}" "${_srd_nm}")
    set_tests_properties(install_sh_puts_the_same_layout_into_a_prefix
      PROPERTIES FIXTURES_SETUP srd_prefix_sh FIXTURES_REQUIRED srd_prefix_cmake TIMEOUT 300)

    # (3) a separate CMake project: find_package(simd_r_drive CONFIG REQUIRED), shared + static,
    #     C and C++, run; NEEDED is the SONAME, RUNPATH is the prefix; version requests.
    foreach(_srd_kind cmake sh)
      if(_srd_kind STREQUAL "cmake")
        set(_srd_prefix "${_srd_prefix_cmake}")
        set(_srd_name consumer_cmake_project_uses_the_cmake_install_prefix)
      else()
        set(_srd_prefix "${_srd_prefix_sh}")
        set(_srd_name consumer_cmake_project_uses_the_install_sh_prefix)
      endif()
      add_test(NAME ${_srd_name}
        COMMAND sh "${_srd_ct_src}/run_cmake_consumer.sh" "${CMAKE_COMMAND}" "${CMAKE_GENERATOR}"
                "${CMAKE_C_COMPILER}" "${CMAKE_CXX_COMPILER}" "${_srd_prefix}"
                "${_srd_ct_dir}/cmake-consumer-${_srd_kind}" "${SRD_SONAME}" "${PROJECT_VERSION}"
                "${PROJECT_BINARY_DIR}" "${_srd_readelf}")
      set_tests_properties(${_srd_name} PROPERTIES FIXTURES_REQUIRED srd_prefix_${_srd_kind}
                                                    TIMEOUT 600)
    endforeach()

    # (4) a Makefile project built with pkg-config (shared and static).
    add_test(NAME consumer_make_project_builds_with_pkg_config_shared_and_static
      COMMAND sh "${_srd_ct_src}/run_make_consumer.sh" "${_srd_prefix_cmake}"
              "${_srd_ct_dir}/make-consumer" "${SRD_SONAME}" "${CMAKE_C_COMPILER}"
              "${CMAKE_CXX_COMPILER}" "${PROJECT_BINARY_DIR}" "${_srd_readelf}")
    set_tests_properties(consumer_make_project_builds_with_pkg_config_shared_and_static
      PROPERTIES FIXTURES_REQUIRED srd_prefix_cmake SKIP_RETURN_CODE 77 TIMEOUT 300)

    # (5) vendoring: a parent project that uses add_subdirectory() or FetchContent (git URL,
    #     local directory) builds and runs, gets no tests/tools/install rules from us, and nothing
    #     is written into its source tree or ours. Each builds the crate afresh (cargo's target
    #     directory in the parent's build tree), so not in the generic-Unix build.
    if(NOT SRD_GENERIC_UNIX)
      foreach(_srd_mode add_subdirectory fetch_git fetch_path)
        set(_srd_name consumer_vendored_with_${_srd_mode}_builds_and_writes_nothing_into_sources)
        add_test(NAME ${_srd_name}
          COMMAND sh "${_srd_ct_src}/run_vendored_consumer.sh" ${_srd_mode} "${CMAKE_COMMAND}"
                  "${CMAKE_GENERATOR}" "${CMAKE_C_COMPILER}" "${CMAKE_CXX_COMPILER}"
                  "${PROJECT_SOURCE_DIR}" "${_srd_ct_dir}/vendored-${_srd_mode}")
        # One at a time: each fresh cargo build needs ~225 MB of disk until it is removed.
        set_tests_properties(${_srd_name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900
                                                      RESOURCE_LOCK srd_vendored_cargo_build)
      endforeach()
    endif()

    # --- ABI: the exported symbols are the committed list (abi/exported-symbols.txt) ------------
    add_test(NAME abi_exported_symbols_match_the_committed_list_or_the_version_was_bumped
      COMMAND sh "${PROJECT_SOURCE_DIR}/scripts/check-abi.sh" --lib "${SRD_SHARED_LINK}"
              --nm "${_srd_nm}")

    # --- the header in every dialect, under gcc and clang ----------------------------------------
    # c_tests/link/ builds C99, C11, C++11 and C++17 with the project's compiler (gcc); these add the
    # other dialects and clang. Compilers are looked up when the test runs; a missing one skips.
    set(_srd_header_src_c "${PROJECT_SOURCE_DIR}/c_tests/link/header_check.c")
    set(_srd_header_src_cxx "${PROJECT_SOURCE_DIR}/c_tests/link/header_check.cpp")
    set(_srd_header_flags -Wall -Wextra -Werror -pedantic)
    set(_srd_header_cases "gcc c17" "gcc c++20"
        "clang c99" "clang c11" "clang c17" "clang c++11" "clang c++17" "clang c++20")
    foreach(_srd_case IN LISTS _srd_header_cases)
      separate_arguments(_srd_case UNIX_COMMAND "${_srd_case}")
      list(GET _srd_case 0 _srd_cc)
      list(GET _srd_case 1 _srd_std)
      if(_srd_std MATCHES "^c\\+\\+")
        set(_srd_src "${_srd_header_src_cxx}")
        string(REPLACE "c++" "cxx" _srd_tag "${_srd_std}")
      else()
        set(_srd_src "${_srd_header_src_c}")
        set(_srd_tag "${_srd_std}")
      endif()
      string(TOUPPER "${_srd_std}" _srd_dialect)
      set(_srd_name header_compiles_and_links_as_${_srd_tag}_${_srd_cc})
      add_test(NAME ${_srd_name}
        COMMAND sh "${_srd_compile}" "${_srd_cc}" "${_srd_std}" "${_srd_src}"
                "${_srd_ct_dir}/header-${_srd_tag}-${_srd_cc}" "${SRD_INCLUDE_DIR}" "${SRD_LIB_DIR}"
                --
                ${_srd_header_flags} "-I${PROJECT_SOURCE_DIR}/c_tests/link"
                "-DHEADER_CHECK_DIALECT=\"${_srd_dialect} (${_srd_cc})\""
                "-DSRD_CARGO_VERSION=\"${SRD_CARGO_VERSION}\"")
      set_tests_properties(${_srd_name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
    endforeach()
  endif()

  # --- the C++ wrapper (include/simd_r_drive.hpp) ----------------------------------------------
  set(SRD_CXX_WARNINGS -Wall -Wextra -Werror -pedantic -Wshadow -Wconversion -Wsign-conversion
                       -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual)
  set(_srd_cpp_src "${PROJECT_SOURCE_DIR}/cpp_tests/test_wrapper.cpp")
  foreach(_srd_std 17 20)
    set(_srd_target cpp_test_wrapper_cxx${_srd_std})
    add_executable(${_srd_target} "${_srd_cpp_src}")
    target_link_libraries(${_srd_target} PRIVATE simd_r_drive::shared Threads::Threads)
    set_target_properties(${_srd_target} PROPERTIES
      CXX_STANDARD ${_srd_std} CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
    target_compile_options(${_srd_target} PRIVATE ${SRD_CXX_WARNINGS} ${_srd_cxx_sanitize})
    target_link_options(${_srd_target} PRIVATE ${_srd_cxx_sanitize})
    target_compile_definitions(${_srd_target} PRIVATE
      "SRD_CARGO_VERSION=\"${SRD_CARGO_VERSION}\"" "SRD_TEST_DIALECT=\"C++${_srd_std} (gcc)\"")
    set(_srd_name cpp_wrapper_every_function_and_error_path_cxx${_srd_std}_gcc)
    add_test(NAME ${_srd_name}
      COMMAND ${_srd_cxx_launcher} $<TARGET_FILE:${_srd_target}> "${_srd_scratch_root}/${_srd_name}")
    set_tests_properties(${_srd_name} PROPERTIES TIMEOUT ${_srd_cxx_timeout})
    if(SRD_SANITIZE)
      set_tests_properties(${_srd_name} PROPERTIES ENVIRONMENT
        "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
    endif()

    if(_srd_plain_build)
      set(_srd_name cpp_wrapper_every_function_and_error_path_cxx${_srd_std}_clang)
      add_test(NAME ${_srd_name}
        COMMAND sh "${_srd_compile}" clang c++${_srd_std} "${_srd_cpp_src}"
                "${_srd_ct_dir}/wrapper-cxx${_srd_std}-clang" "${SRD_INCLUDE_DIR}" "${SRD_LIB_DIR}"
                --run-arg "${_srd_scratch_root}/${_srd_name}"
                -- ${SRD_CXX_WARNINGS} -pthread
                "-DSRD_CARGO_VERSION=\"${SRD_CARGO_VERSION}\""
                "-DSRD_TEST_DIALECT=\"C++${_srd_std} (clang)\"")
      set_tests_properties(${_srd_name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
    endif()
  endforeach()

  if(_srd_plain_build)
    # The wrapper refuses C++14 with one clear message instead of a cascade of errors.
    foreach(_srd_cc gcc clang)
      set(_srd_name cpp_wrapper_rejects_cxx14_with_one_clear_error_${_srd_cc})
      add_test(NAME ${_srd_name}
        COMMAND sh "${_srd_compile}" --expect-error "needs C++17" ${_srd_cc} c++14
                "${_srd_ct_src}/cxx14_include.cpp" "${_srd_ct_dir}/wrapper-cxx14-${_srd_cc}"
                "${SRD_INCLUDE_DIR}" "${SRD_LIB_DIR}" -- -Wall -Wextra -pedantic)
      set_tests_properties(${_srd_name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
    endforeach()

    # --- documentation: the getting-started programs work as printed ----------------------------
    add_test(NAME docs_getting_started_examples_compile_and_run
      COMMAND sh "${PROJECT_SOURCE_DIR}/docs/check-examples.sh" "${SRD_INCLUDE_DIR}" "${SRD_LIB_DIR}"
              "${_srd_ct_dir}/docs-examples" "${CMAKE_C_COMPILER}" "${CMAKE_CXX_COMPILER}")
    set_tests_properties(docs_getting_started_examples_compile_and_run PROPERTIES TIMEOUT 300)

    # --- documentation: getting-started-c.md's flag table lists every SRD_OPEN_* flag ---------
    add_test(NAME docs_getting_started_c_lists_every_open_flag
      COMMAND sh "${_srd_ct_src}/check_doc_flags.sh" "${SRD_INCLUDE_DIR}/simd_r_drive.h"
              "${PROJECT_SOURCE_DIR}/docs/getting-started-c.md")

    # --- documentation: doxygen renders both headers without a warning -----------------------------
    add_test(NAME docs_doxygen_renders_the_headers_without_warnings
      COMMAND sh "${PROJECT_SOURCE_DIR}/docs/run-doxygen.sh" "${PROJECT_BINARY_DIR}/doxygen")
    set_tests_properties(docs_doxygen_renders_the_headers_without_warnings
      PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  endif()
endif()
