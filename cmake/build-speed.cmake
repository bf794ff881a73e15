# What makes a build faster without changing what it builds (figures and commands: bench/README.md, "CI time").
#
# Precompiled headers (XENRACE_PCH, on by default) for the targets whose files parse the same heavy
# third-party headers: the CLI (CLI11, nlohmann/json) and the GoogleTest binaries (gtest, rapidcheck). Only
# third-party and standard headers are precompiled: a project header forced into every file of a target
# would let a file use a floor it does not include, and ci/check-layout reads the includes.
#
# The test binaries share one precompiled header (REUSE_FROM), built once per build tree by
# xenrace_test_pch: a header per test target would cost more than it saves on the many one- and two-file
# ones. CMake adds -Winvalid-pch, so with -Werror a header GCC cannot use fails the build instead of
# silently costing the time again.
#
# A unity build of the CLI, the test binaries, the libraries and the scenarios (XENRACE_UNITY, off by default,
# on in ci/test): most of a CLI file's compile time is generating code for the CLI11 and JSON functions it uses,
# the same in each of its sixteen files; two batches generate it twice instead. A test binary's files parse the
# same project headers and generate the same GoogleTest code; batches of four do it once a batch. Off by default
# so that an everyday build still compiles each file on its own and a missing include shows.
option(XENRACE_UNITY "Compile the CLI, tests, libraries and scenarios as unity batches (CI: faster, same code)" OFF)

function(_xenrace_test_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _xenrace_test_targets(${sub} more)
    list(APPEND targets ${more})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()
_xenrace_test_targets(${PROJECT_SOURCE_DIR}/tests _xenrace_test_targets_all)
# The GoogleTest binaries among them: what the unity batches and the shared precompiled header apply to.
set(_xenrace_gtest_binaries)
foreach(target IN LISTS _xenrace_test_targets_all)
  get_target_property(type ${target} TYPE)
  get_target_property(libs ${target} LINK_LIBRARIES)
  if(type STREQUAL "EXECUTABLE" AND libs MATCHES "GTest::")
    list(APPEND _xenrace_gtest_binaries ${target})
  endif()
endforeach()

if(XENRACE_UNITY)
  set_target_properties(xenrace PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  # Two files define an internal shell_word(); render.cpp compiles on its own.
  set_source_files_properties(${PROJECT_SOURCE_DIR}/cli/render.cpp DIRECTORY ${PROJECT_SOURCE_DIR}/cli
                              PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  set_target_properties(${_xenrace_gtest_binaries} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 4)
  # The libraries, whose files parse the same project and fmt headers.
  set_target_properties(xenrace_runtime xenrace_process xenrace_faults xenrace_world xenrace_sim xenrace_dom0
                        xenrace_reports xenrace_run PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  # The scenarios too, each keeping its own kGuests and Observed, as a reader expects of one race, in a namespace
  # of its own (xenrace::scenario_<file>). One batch: it keeps the files' order, the order they register in and
  # `xenrace list` prints (scenarios/CMakeLists.txt), where CMake links two batches' objects last batch first.
  set_target_properties(xenrace_scenarios PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
endif()

# The test binaries' own files at -O0 (XENRACE_TESTS_O0, off by default, on in ci/test): a test file is mostly
# GoogleTest's and rapidcheck's generated code, which the optimizer spends 40% of the file's compile time on,
# while what the tests run is the libraries' code, built as the build type says. An everyday build keeps the
# build type's level, where GCC's warnings that need the optimizer's analysis still see the tests.
option(XENRACE_TESTS_O0 "Compile the GoogleTest binaries' own files at -O0 (CI: the libraries keep their level)" OFF)
if(XENRACE_TESTS_O0)
  set_property(TARGET ${_xenrace_gtest_binaries} APPEND PROPERTY COMPILE_OPTIONS -O0)
  # Except where the test's own code is the work: these enumerate every interleaving of a scenario, a loop
  # program or a XenStore program and compare each execution's outcome as text, five times slower at -O0
  # (ctest: 12 s -> 67 s for xenstored-boot-order's; under ASan a XenStore property took 138 s with one
  # rapidcheck seed). They keep the build type's level, on their own (no unity batch, no -O0 header).
  string(TOUPPER "${CMAKE_BUILD_TYPE}" _xenrace_config)
  string(REGEX MATCH "-O[^ ]*" _xenrace_level "${CMAKE_CXX_FLAGS_${_xenrace_config}}")
  foreach(file IN ITEMS scenarios_dpor/scenario_footprints_test.cpp loop/loop_footprint_test.cpp
                        xenstore/footprint_soundness_test.cpp)
    get_filename_component(dir ${PROJECT_SOURCE_DIR}/tests/${file} DIRECTORY)
    set_source_files_properties(${PROJECT_SOURCE_DIR}/tests/${file} DIRECTORY ${dir}
                                PROPERTIES COMPILE_OPTIONS "${_xenrace_level}" SKIP_PRECOMPILE_HEADERS ON)
  endforeach()
endif()

option(XENRACE_PCH "Precompile third-party headers for the CLI and the GoogleTest binaries" ON)
if(NOT XENRACE_PCH)
  return()
endif()

# What the CLI's files include: cli/cli.hpp's CLI11 and JSON, and the formatting and containers around them.
target_precompile_headers(xenrace PRIVATE <CLI/CLI.hpp> <nlohmann/json.hpp> <fmt/format.h> <functional> <map>
                                          <memory> <optional> <string> <string_view> <vector>)

# The test binaries: every target under tests/ that links GoogleTest. The owner is an executable (its
# code is compiled position-independent the way the test executables' is) that nothing runs.
set(_xenrace_pch_main ${CMAKE_BINARY_DIR}/generated/xenrace_test_pch_main.cpp)
file(CONFIGURE OUTPUT ${_xenrace_pch_main} CONTENT "// xenrace_test_pch owns the test binaries' precompiled header (cmake/build-speed.cmake).\nint main() { return 0; }\n")
find_package(GTest REQUIRED)  # tests/ found them too, but imported targets are local to the folder that finds them
find_package(rapidcheck REQUIRED)
add_executable(xenrace_test_pch EXCLUDE_FROM_ALL ${_xenrace_pch_main})
target_link_libraries(xenrace_test_pch PRIVATE GTest::gtest rapidcheck)
if(XENRACE_TESTS_O0)
  target_compile_options(xenrace_test_pch PRIVATE -O0)  # a header precompiled at another level is not used
endif()
target_precompile_headers(xenrace_test_pch PRIVATE <gtest/gtest.h> <rapidcheck.h> <functional> <map> <memory>
                                                   <optional> <string> <string_view> <vector>)

foreach(target IN LISTS _xenrace_gtest_binaries)
  target_precompile_headers(${target} REUSE_FROM xenrace_test_pch)
  # With the headers precompiled, GCC 12's late warnings report its known false positives on libstdc++'s
  # inlined std::string memcpy (GCC bugs 105329, 105651: operator+ on a temporary, a literal into a short
  # string) in the tests' code; the same files parsed whole (XENRACE_PCH=OFF) report none. The ASan tree
  # runs the same tests and sees a real overflow.
  target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread
                                           -Wno-restrict)
endforeach()
