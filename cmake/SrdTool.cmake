# The `srd` command-line tool (tools/srd) and its shell tests (tools/srd/tests).
#
# Target `srd`: C11, -Wall -Wextra -Werror -pedantic, linked to simd_r_drive::shared,
# built into ${PROJECT_BINARY_DIR}/bin and installed into ${CMAKE_INSTALL_BINDIR}.
# With SRD_SANITIZE it is built with AddressSanitizer+UBSan like the C tests; with
# SRD_VALGRIND each srd run of the shell tests goes through valgrind.
include(GNUInstallDirs)

set(SRD_TOOL_DIR "${PROJECT_SOURCE_DIR}/tools/srd")

set(SRD_TOOL_SANITIZE_FLAGS "")
if(SRD_SANITIZE)
  set(SRD_TOOL_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
                              -fno-sanitize-recover=all)
endif()

add_executable(srd
  "${SRD_TOOL_DIR}/srd.c"
  "${SRD_TOOL_DIR}/transfer.c"
  "${SRD_TOOL_DIR}/dump.c"
  "${SRD_TOOL_DIR}/manifest.c"
  "${SRD_TOOL_DIR}/fsutil.c"
  "${SRD_TOOL_DIR}/progress.c")
target_link_libraries(srd PRIVATE simd_r_drive::shared)
set_target_properties(srd PROPERTIES
  C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
  RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bin"
  # Installed next to the library: find it in ../lib (or the platform's libdir).
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
target_compile_options(srd PRIVATE -Wall -Wextra -Werror -pedantic ${SRD_TOOL_SANITIZE_FLAGS})
target_link_options(srd PRIVATE ${SRD_TOOL_SANITIZE_FLAGS})

if(SRD_INSTALL)
  install(TARGETS srd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

if(NOT SRD_BUILD_TESTS)
  return()
endif()
enable_testing()

# Test helper: writes an arbitrary (hostile) import manifest into a store.
add_executable(srd_test_forge_manifest "${SRD_TOOL_DIR}/tests/forge_manifest.c")
target_link_libraries(srd_test_forge_manifest PRIVATE simd_r_drive::shared)
set_target_properties(srd_test_forge_manifest PROPERTIES
  C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(srd_test_forge_manifest PRIVATE -Wall -Wextra -Werror -pedantic)

find_program(SRD_BASH bash)
if(NOT SRD_BASH)
  message(FATAL_ERROR "bash is needed for the srd command-line tests (or set SRD_BUILD_TESTS=OFF)")
endif()

set(_srd_cli_env "")
set(_srd_cli_valgrind_env "")
set(_srd_cli_timeout 120)
if(SRD_SANITIZE)
  list(APPEND _srd_cli_env
       "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1"
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()
if(SRD_VALGRIND)
  find_program(SRD_TOOL_VALGRIND valgrind)
  if(NOT SRD_TOOL_VALGRIND)
    message(FATAL_ERROR "SRD_VALGRIND=ON but valgrind was not found")
  endif()
  # The script runs every srd of the cases below under memcheck, with its own exit
  # code (99) and log files so that srd's exit codes and stderr stay checkable.
  # Each run costs about half a second under valgrind, so only the cases that
  # exercise the tool's memory handling (streams, import/export, manifest, list,
  # metadata, verify reports, copy/move) use it; the others (help texts, usage
  # errors, plain exit codes) run natively.
  set(_srd_cli_valgrind_env "SRD_CLI_VALGRIND=${SRD_TOOL_VALGRIND}")
  set(_srd_cli_timeout 1800)
endif()

# Each case is a function case_<name> in srd_cli_tests.sh; the test is srd_cli_<name>.
set(SRD_CLI_CASES
  help_and_version_work_for_the_tool_and_every_command
  bad_usage_exits_2_with_one_error_line
  write_read_round_trip_text_binary_nul_bytes_and_multi_mib_stdin
  missing_key_or_store_exits_3_and_creates_nothing
  delete_and_rename_change_which_keys_exist
  copy_and_move_between_stores
  metadata_and_list_report_hash_size_offset_and_crc
  info_counts_live_keys_entries_and_reclaimable_bytes
  compact_shrinks_the_file_and_keeps_every_value
  backup_copies_the_store_then_appends_only_what_is_new
  verify_passes_a_sound_store_and_fails_a_damaged_or_torn_one
  salvage_recovers_the_intact_entries_of_a_store_that_cannot_be_opened
  locked_store_refuses_writers_with_status_1_while_readers_continue
  import_export_round_trip_of_a_directory_tree
  export_refuses_unsafe_manifest_paths_and_symbolic_links
  progress_bar_only_when_stderr_is_a_terminal
  read_only_commands_never_modify_the_store
  hash_option_reads_inspects_deletes_and_writes_entries_by_key_hash
  dash_means_stdin_and_value_option_stores_text_literally
  dump_load_round_trip_through_a_pipe_binary_values_and_an_existing_store
  load_refuses_malformed_truncated_or_corrupted_dumps_and_writes_nothing
  dump_refuses_a_damaged_store_and_its_own_store_file)
set(SRD_CLI_VALGRIND_CASES
  write_read_round_trip_text_binary_nul_bytes_and_multi_mib_stdin
  copy_and_move_between_stores
  metadata_and_list_report_hash_size_offset_and_crc
  verify_passes_a_sound_store_and_fails_a_damaged_or_torn_one
  locked_store_refuses_writers_with_status_1_while_readers_continue
  import_export_round_trip_of_a_directory_tree
  export_refuses_unsafe_manifest_paths_and_symbolic_links
  hash_option_reads_inspects_deletes_and_writes_entries_by_key_hash
  dash_means_stdin_and_value_option_stores_text_literally
  dump_load_round_trip_through_a_pipe_binary_values_and_an_existing_store
  load_refuses_malformed_truncated_or_corrupted_dumps_and_writes_nothing
  dump_refuses_a_damaged_store_and_its_own_store_file)
foreach(_case IN LISTS SRD_CLI_CASES)
  add_test(NAME srd_cli_${_case}
    COMMAND "${SRD_BASH}" "${SRD_TOOL_DIR}/tests/srd_cli_tests.sh"
            $<TARGET_FILE:srd> $<TARGET_FILE:srd_test_forge_manifest>
            "${PROJECT_BINARY_DIR}/test-scratch/srd-cli" ${_case})
  set_tests_properties(srd_cli_${_case} PROPERTIES TIMEOUT ${_srd_cli_timeout} LABELS srd_cli)
  set(_env ${_srd_cli_env})
  if(_case IN_LIST SRD_CLI_VALGRIND_CASES)
    list(APPEND _env ${_srd_cli_valgrind_env})
  endif()
  if(_env)
    set_tests_properties(srd_cli_${_case} PROPERTIES ENVIRONMENT "${_env}")
  endif()
endforeach()
