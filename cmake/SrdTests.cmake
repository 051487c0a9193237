# C tests for simd_r_drive: built here, registered with add_test.
#
# Every test program gets its own scratch directory under the build tree as argv[1]
# (the program makes a fresh unique directory inside it), so parallel ctest runs
# (ctest -j) never share files.

set(SRD_TEST_DIR "${PROJECT_SOURCE_DIR}/c_tests")
set(SRD_SCRATCH_ROOT "${PROJECT_BINARY_DIR}/test-scratch")

set(SRD_C_WARNINGS -Wall -Wextra -Werror)
set(SRD_SANITIZE_FLAGS "")
if(SRD_SANITIZE)
  set(SRD_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
endif()

set(SRD_TEST_LAUNCHER "")
set(_srd_scale "${SRD_TEST_SCALE}")
set(_srd_timeout 600)
if(SRD_VALGRIND)
  find_program(SRD_VALGRIND_EXECUTABLE valgrind)
  if(NOT SRD_VALGRIND_EXECUTABLE)
    message(FATAL_ERROR "SRD_VALGRIND=ON but valgrind was not found")
  endif()
  set(SRD_TEST_LAUNCHER "${SRD_VALGRIND_EXECUTABLE}" --error-exitcode=1 --leak-check=full
                        --errors-for-leak-kinds=definite)
  if(_srd_scale STREQUAL "")
    set(_srd_scale 0.05)
  endif()
  set(_srd_timeout 3600)
endif()

set(_srd_test_env "")
if(NOT _srd_scale STREQUAL "")
  list(APPEND _srd_test_env "SRD_TEST_SCALE=${_srd_scale}")
endif()
if(SRD_SANITIZE)
  list(APPEND _srd_test_env
       "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1"
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()

# The test harness (c_tests/lib): compiled once, linked into every test program.
set(SRD_TEST_HARNESS_SOURCES
  "${SRD_TEST_DIR}/lib/tst_test.c"
  "${SRD_TEST_DIR}/lib/tst_api.c"
  "${SRD_TEST_DIR}/lib/tst_proc.c"
  "${SRD_TEST_DIR}/lib/tst_robust.c"
  "${SRD_TEST_DIR}/lib/tst_safety.c"
  "${SRD_TEST_DIR}/lib/tst_fmt.c")
add_library(tst_harness STATIC ${SRD_TEST_HARNESS_SOURCES})
set_target_properties(tst_harness PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_include_directories(tst_harness PUBLIC "${SRD_TEST_DIR}/lib" "${SRD_INCLUDE_DIR}")
target_compile_options(tst_harness PRIVATE ${SRD_C_WARNINGS} ${SRD_SANITIZE_FLAGS})
target_link_libraries(tst_harness PUBLIC Threads::Threads)
add_dependencies(tst_harness simd_r_drive_cargo)

# srd_c_program(<target> <source>... [STATIC] [NO_HARNESS] [C_STANDARD n] [CXX_STANDARD n]
#               [PEDANTIC] [DEFINITIONS ...])
function(srd_c_program target)
  cmake_parse_arguments(A "STATIC;PEDANTIC;NO_HARNESS" "C_STANDARD;CXX_STANDARD" "DEFINITIONS" ${ARGN})
  add_executable(${target} ${A_UNPARSED_ARGUMENTS})
  if(NOT A_NO_HARNESS)
    target_link_libraries(${target} PRIVATE tst_harness)
  endif()
  if(A_STATIC)
    target_link_libraries(${target} PRIVATE simd_r_drive::static Threads::Threads)
  else()
    target_link_libraries(${target} PRIVATE simd_r_drive::shared Threads::Threads)
  endif()
  if(A_CXX_STANDARD)
    set_target_properties(${target} PROPERTIES
      CXX_STANDARD ${A_CXX_STANDARD} CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  else()
    if(NOT A_C_STANDARD)
      set(A_C_STANDARD 11)
    endif()
    set_target_properties(${target} PROPERTIES
      C_STANDARD ${A_C_STANDARD} C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  endif()
  target_compile_options(${target} PRIVATE ${SRD_C_WARNINGS} ${SRD_SANITIZE_FLAGS})
  if(A_PEDANTIC)
    target_compile_options(${target} PRIVATE -pedantic)
  endif()
  target_link_options(${target} PRIVATE ${SRD_SANITIZE_FLAGS})
  target_compile_definitions(${target} PRIVATE
    "SRD_CARGO_VERSION=\"${SRD_CARGO_VERSION}\"" ${A_DEFINITIONS})
endfunction()

# srd_c_test(<test name> <target>): runs the program (under valgrind if enabled).
function(srd_c_test name target)
  set(scratch "${SRD_SCRATCH_ROOT}/${name}")
  add_test(NAME ${name} COMMAND ${SRD_TEST_LAUNCHER} $<TARGET_FILE:${target}> "${scratch}")
  set_tests_properties(${name} PROPERTIES TIMEOUT ${_srd_timeout})
  if(_srd_test_env)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_srd_test_env}")
  endif()
endfunction()

# --- api: every function of the header, by subject (c_tests/api/) -----------
srd_c_program(test_api "${SRD_TEST_DIR}/api/test_api.c")
srd_c_test(c_api_every_function_and_error_path test_api)

srd_c_program(test_model "${SRD_TEST_DIR}/api/test_model.c")
srd_c_test(c_model_random_ops_match_in_memory_map test_model)

srd_c_program(test_simd_views "${SRD_TEST_DIR}/api/test_simd_views.c")
srd_c_test(c_simd_aligned_vector_loads_over_stored_arrays_match_scalar_sums test_simd_views)

# The functions added after the core set (formerly one program, test_features.c).
srd_c_program(test_keys "${SRD_TEST_DIR}/api/test_keys.c")
srd_c_test(c_api_key_hashes_namespaces_and_with_hash_variants test_keys)
srd_c_program(test_batches "${SRD_TEST_DIR}/api/test_batches.c")
srd_c_test(c_api_batch_reads_report_each_key_under_one_consistent_view test_batches)
srd_c_program(test_read_last "${SRD_TEST_DIR}/api/test_read_last.c")
srd_c_test(c_api_read_last_returns_the_newest_live_value test_read_last)
srd_c_program(test_streams "${SRD_TEST_DIR}/api/test_streams.c")
srd_c_test(c_api_streams_visibility_abort_busy_waiting_crash_and_io_failures test_streams)
srd_c_program(test_entries "${SRD_TEST_DIR}/api/test_entries.c")
srd_c_test(c_api_pinned_entries_describe_and_verify_the_value_in_the_file test_entries)
srd_c_program(test_transfer "${SRD_TEST_DIR}/api/test_transfer.c")
srd_c_test(c_api_rename_copy_move_and_the_same_file_refused test_transfer)
srd_c_program(test_iteration "${SRD_TEST_DIR}/api/test_iteration.c")
srd_c_test(c_api_iteration_snapshots_and_partitions_cover_live_entries_once test_iteration)
srd_c_program(test_verify "${SRD_TEST_DIR}/api/test_verify.c")
srd_c_test(c_api_verify_compaction_progress_reclaimable_bytes_entry_count test_verify)
srd_c_program(test_nested "${SRD_TEST_DIR}/api/test_nested.c")
srd_c_test(c_api_nested_stores_and_open_bytes_open_in_place test_nested)
srd_c_program(test_index_file "${SRD_TEST_DIR}/api/test_index_file.c")
srd_c_test(c_api_index_file_is_used_only_for_its_own_file test_index_file)
srd_c_program(test_conditional "${SRD_TEST_DIR}/api/test_conditional.c")
srd_c_test(c_api_conditional_writes_conflict_without_writing_and_cas_loses_nothing
           test_conditional)
srd_c_program(test_snapshot "${SRD_TEST_DIR}/api/test_snapshot.c")
srd_c_test(c_api_snapshots_stay_at_their_moment_across_changes_and_processes test_snapshot)
srd_c_program(test_backup "${SRD_TEST_DIR}/api/test_backup.c")
srd_c_test(c_api_backups_are_consistent_incremental_and_survive_killed_copies test_backup)
srd_c_program(test_os_errno "${SRD_TEST_DIR}/api/test_os_errno.c")
srd_c_test(c_api_os_errno_is_the_failing_os_calls_per_thread_and_zero_otherwise test_os_errno)

# --- robustness: torn tails, damage, hostile input, non-stores, salvage, reliability ---
srd_c_program(test_recovery "${SRD_TEST_DIR}/robustness/test_recovery.c")
srd_c_test(c_recovery_torn_tails_recover_and_corruption_is_refused test_recovery)

srd_c_program(test_damage_sweep "${SRD_TEST_DIR}/robustness/test_damage_sweep.c")
srd_c_test(c_robust_every_damaged_byte_opens_or_refuses_and_never_invents_values
           test_damage_sweep)

srd_c_program(test_hostile_input "${SRD_TEST_DIR}/robustness/test_hostile_input.c")
srd_c_test(c_robust_hostile_arguments_to_every_function_get_documented_status
           test_hostile_input)

srd_c_program(test_not_a_store "${SRD_TEST_DIR}/robustness/test_not_a_store.c")
srd_c_test(c_robust_files_that_are_not_stores_are_refused_and_never_changed test_not_a_store)

srd_c_program(test_salvage "${SRD_TEST_DIR}/robustness/test_salvage.c")
srd_c_test(c_robust_salvage_recovers_every_intact_entry_with_exact_report test_salvage)

srd_c_program(test_reliability "${SRD_TEST_DIR}/robustness/test_reliability.c")
srd_c_test(c_reliability_stale_index_fork_sigbus_first_write_side_files test_reliability)

# --- concurrency: threads and processes --------------------------------------
srd_c_program(test_threads "${SRD_TEST_DIR}/concurrency/test_threads.c")
srd_c_test(c_threads_readers_writers_compactor_see_only_real_values test_threads)

srd_c_program(test_stress "${SRD_TEST_DIR}/concurrency/test_stress.c")
srd_c_test(c_robust_stress_threads_see_only_real_values_and_end_in_model_state test_stress)

srd_c_program(test_multiprocess "${SRD_TEST_DIR}/concurrency/test_multiprocess.c")
srd_c_test(c_robust_processes_lock_refresh_streams_and_compaction test_multiprocess)

# --- data safety: crashes, power loss, disk full, files past 4 GiB ----------
srd_c_program(test_crash "${SRD_TEST_DIR}/safety/test_crash.c")
target_link_libraries(test_crash PRIVATE m)
srd_c_test(c_safety_sigkilled_writer_loses_no_acknowledged_operation test_crash)

srd_c_program(test_power_loss "${SRD_TEST_DIR}/safety/test_power_loss.c")
target_link_libraries(test_power_loss PRIVATE ${CMAKE_DL_LIBS})
srd_c_test(c_safety_power_loss_states_reopen_to_last_complete_entry test_power_loss)

srd_c_program(test_disk_full "${SRD_TEST_DIR}/safety/test_disk_full.c")
srd_c_test(c_safety_disk_full_fails_with_srd_io_and_changes_nothing test_disk_full)

srd_c_program(test_batch_crash "${SRD_TEST_DIR}/safety/test_batch_crash.c")
srd_c_test(c_safety_sigkilled_and_cut_batches_are_all_or_nothing test_batch_crash)

# LONG mode: skipped (exit 0) unless SRD_LONG_TESTS=1; needs ~5.5 GiB free disk space.
srd_c_program(test_large_file "${SRD_TEST_DIR}/safety/test_large_file.c")
srd_c_test(c_safety_long_large_file_past_4_gib_reads_back_exactly test_large_file)
set_tests_properties(c_safety_long_large_file_past_4_gib_reads_back_exactly PROPERTIES TIMEOUT 3600)

# --- link: the static library, the header as strict C99/C11 and C++11/C++17 ---
srd_c_program(test_static_link "${SRD_TEST_DIR}/link/test_static_link.c" STATIC)
srd_c_test(c_static_library_links_and_works test_static_link)

foreach(_std 99 11)
  srd_c_program(header_check_c${_std} "${SRD_TEST_DIR}/link/header_check.c" NO_HARNESS
                C_STANDARD ${_std} PEDANTIC DEFINITIONS "HEADER_CHECK_DIALECT=\"C${_std}\"")
  srd_c_test(header_compiles_and_links_as_c${_std} header_check_c${_std})
endforeach()
foreach(_std 11 17)
  srd_c_program(header_check_cxx${_std} "${SRD_TEST_DIR}/link/header_check.cpp" NO_HARNESS
                CXX_STANDARD ${_std} PEDANTIC DEFINITIONS "HEADER_CHECK_DIALECT=\"C++${_std}\"")
  srd_c_test(header_compiles_and_links_as_cxx${_std} header_check_cxx${_std})
endforeach()

# --- the shared library's ELF properties -------------------------------------
foreach(_tool nm readelf objdump)
  string(TOUPPER "${_tool}" _TOOL)
  if(CMAKE_${_TOOL})
    set(SRD_${_TOOL} "${CMAKE_${_TOOL}}")
  else()
    find_program(SRD_${_TOOL} ${_tool})
  endif()
endforeach()

add_test(NAME shared_library_exports_only_srd_symbols_and_has_soname
  COMMAND sh "${SRD_TEST_DIR}/link/check_shared_library.sh"
          "${SRD_SHARED_LINK}" "${SRD_SONAME}" "${SRD_NM}" "${SRD_READELF}" "${SRD_OBJDUMP}")
add_test(NAME static_test_program_does_not_need_the_shared_library
  COMMAND sh "${SRD_TEST_DIR}/link/check_static_executable.sh"
          $<TARGET_FILE:test_static_link> "${SRD_READELF}")
