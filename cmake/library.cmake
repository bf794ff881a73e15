# libxenrace: every floor below the CLI in one shared library, the one `xenrace` runs on and the one a
# library of scenarios built outside the tree links (find_package(xenrace), or pkg-config xenrace). Static
# archives inside it are taken whole, so each built-in scenario's registration comes along.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(XENRACE_FLOORS xenrace_runtime xenrace_process xenrace_world xenrace_faults xenrace_sim xenrace_dom0 xenrace_run xenrace_reports)
add_library(xenrace_shared SHARED $<TARGET_OBJECTS:xenrace_scenarios>)
add_library(xenrace::xenrace ALIAS xenrace_shared)
set_target_properties(xenrace_shared PROPERTIES OUTPUT_NAME xenrace VERSION ${PROJECT_VERSION}
                                                SOVERSION ${PROJECT_VERSION_MAJOR} EXPORT_NAME xenrace)
# Calls inside the library bind to the library at link time, not through the PLT at run time: the
# scheduling step pays no indirect jump for being in a shared library (bench/README.md).
target_link_options(xenrace_shared PRIVATE -Wl,-Bsymbolic-functions)
target_link_libraries(xenrace_shared PRIVATE -Wl,--whole-archive ${XENRACE_FLOORS} -Wl,--no-whole-archive)
target_link_libraries(xenrace_shared PUBLIC fmt::fmt)
target_include_directories(xenrace_shared PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
  $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/generated>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/xenrace>)
target_compile_features(xenrace_shared PUBLIC cxx_std_20)

# The public headers: <xenrace/scenario.hpp>, and the runtime, world and toolstack headers it rests on,
# under include/xenrace/ with the folders they have here.
install(FILES include/xenrace/scenario.hpp ${CMAKE_BINARY_DIR}/generated/xenrace/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xenrace)
foreach(floor runtime world toolstack)
  install(DIRECTORY ${floor}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xenrace/${floor}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "*.in" EXCLUDE)
endforeach()
install(TARGETS xenrace_shared EXPORT xenraceTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS xenrace RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT xenraceTargets NAMESPACE xenrace:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xenrace)
configure_package_config_file(cmake/xenraceConfig.cmake.in ${CMAKE_BINARY_DIR}/xenraceConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xenrace)
# The library and its headers change together with xenrace's version; a scenario library is built for one.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/xenraceConfigVersion.cmake COMPATIBILITY ExactVersion)
install(FILES ${CMAKE_BINARY_DIR}/xenraceConfig.cmake ${CMAKE_BINARY_DIR}/xenraceConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xenrace)
# The .pc file finds its prefix from where it lies, so `cmake --install --prefix ANYWHERE` works.
file(RELATIVE_PATH XENRACE_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
configure_file(cmake/xenrace.pc.in ${CMAKE_BINARY_DIR}/xenrace.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/xenrace.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
