# What a user runs besides bin/xenrace and libxenrace (cmake/library.cmake): the CI scripts, the pytest
# plugin, the man page and the bash completion. Each is its own install component (ci, pytest, man,
# completion), so `cmake --install build --component pytest` installs just that.
include(GNUInstallDirs)

# ---------------------------------------------------------------- the CI scripts
# They keep the layout they have in the tree, under ${datadir}/xenrace/ci, so each finds its siblings and
# ci/xen-vm.d as it does in a checkout; bin/xenrace-gate, bin/xenrace-nightly and bin/xenrace-xen-vm start
# them. The file `installed-layout` tells them they are installed and where bin/ lies (relative to them):
# they then default to the xenrace installed with them instead of build/xenrace.
set(XENRACE_CI_DIR ${CMAKE_INSTALL_DATADIR}/xenrace/ci)
install(PROGRAMS ci/gate ci/nightly ci/xen-vm ci/compare-report DESTINATION ${XENRACE_CI_DIR} COMPONENT ci)
install(DIRECTORY ci/xen-vm.d DESTINATION ${XENRACE_CI_DIR} USE_SOURCE_PERMISSIONS COMPONENT ci)
file(RELATIVE_PATH XENRACE_CI_TO_BIN "${CMAKE_INSTALL_PREFIX}/${XENRACE_CI_DIR}" "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}")
file(RELATIVE_PATH XENRACE_BIN_TO_CI "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}" "${CMAKE_INSTALL_PREFIX}/${XENRACE_CI_DIR}")
file(WRITE ${CMAKE_BINARY_DIR}/ci/installed-layout
     "# Written by cmake --install: these scripts are installed; bin/ is this path relative to them.\n"
     "bindir=${XENRACE_CI_TO_BIN}\n")
install(FILES ${CMAKE_BINARY_DIR}/ci/installed-layout DESTINATION ${XENRACE_CI_DIR} COMPONENT ci)
foreach(script gate nightly xen-vm)
  file(WRITE ${CMAKE_BINARY_DIR}/ci/xenrace-${script}
       "#!/bin/sh\n# xenrace-${script}: the installed ci/${script} of xenrace (docs/ci.md).\n"
       "exec \"$(dirname \"$(readlink -f \"$0\")\")/${XENRACE_BIN_TO_CI}/${script}\" \"$@\"\n")
  install(PROGRAMS ${CMAKE_BINARY_DIR}/ci/xenrace-${script} DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ci)
endforeach()

# ---------------------------------------------------------------- the pytest plugin
# driver/xenrace_pytest.py with a .dist-info whose entry_points.txt names it in the pytest11 group: pytest
# loads it by itself once the module's directory is on sys.path. The directory is chosen at install time,
# from the prefix the install uses (cmake --install --prefix, CPack's /usr): lib/python3/dist-packages under
# /usr (Debian's python3 reads it), lib/python3.X/dist-packages under /usr/local (Debian's python3 reads it
# too), lib/python3.X/site-packages elsewhere (a user's ~/.local, a venv). XENRACE_PYTHON_DIR overrides it.
set(XENRACE_PYTHON_DIR "" CACHE STRING "Where the pytest plugin is installed, relative to the prefix (default: see cmake/install-tools.cmake)")
find_program(XENRACE_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(XENRACE_PYTHON3 NAMES python3)
set(XENRACE_PYTHON_VERSION 3)
if(XENRACE_PYTHON3)
  execute_process(COMMAND ${XENRACE_PYTHON3} -c "import sys; print('%d.%d' % sys.version_info[:2])"
                  OUTPUT_VARIABLE XENRACE_PYTHON_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
# The plugin states xenrace's version; a mismatch would give the .dist-info one version and the module another.
file(STRINGS driver/xenrace_pytest.py plugin_version REGEX "^__version__ = ")
if(NOT plugin_version MATCHES "\"${PROJECT_VERSION}\"")
  message(FATAL_ERROR "driver/xenrace_pytest.py says ${plugin_version}, the project is ${PROJECT_VERSION}")
endif()
set(XENRACE_DIST_INFO ${CMAKE_BINARY_DIR}/python/xenrace_pytest-${PROJECT_VERSION}.dist-info)
file(WRITE ${XENRACE_DIST_INFO}/METADATA
     "Metadata-Version: 2.1\nName: xenrace-pytest\nVersion: ${PROJECT_VERSION}\n"
     "Summary: pytest plugin: every xenrace scenario variant as one test item\n"
     "Requires-Dist: pytest (>=7)\n")
file(WRITE ${XENRACE_DIST_INFO}/entry_points.txt "[pytest11]\nxenrace_pytest = xenrace_pytest\n")
file(WRITE ${XENRACE_DIST_INFO}/top_level.txt "xenrace_pytest\n")
file(WRITE ${XENRACE_DIST_INFO}/INSTALLER "cmake\n")
install(CODE "
  set(dir \"${XENRACE_PYTHON_DIR}\")
  if(NOT dir)
    if(CMAKE_INSTALL_PREFIX MATCHES \"(^|/)usr$\")
      set(dir lib/python3/dist-packages)
    elseif(CMAKE_INSTALL_PREFIX STREQUAL \"/usr/local\")
      set(dir lib/python${XENRACE_PYTHON_VERSION}/dist-packages)
    else()
      set(dir lib/python${XENRACE_PYTHON_VERSION}/site-packages)
    endif()
  endif()
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/\${dir}\" TYPE FILE FILES \"${PROJECT_SOURCE_DIR}/driver/xenrace_pytest.py\")
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/\${dir}\" TYPE DIRECTORY FILES \"${XENRACE_DIST_INFO}\")
" COMPONENT pytest)
# A selector file that selects every scenario, and the rootdir marker that keeps node ids short:
# `pytest ${datadir}/xenrace/pytest` runs every variant (docs/ci.md).
install(FILES driver/scenarios.xenrace driver/pytest.ini DESTINATION ${CMAKE_INSTALL_DATADIR}/xenrace/pytest COMPONENT pytest)

# ---------------------------------------------------------------- the man page
# xenrace.1 from the binary's own --help (help2man), with each command's --help as the COMMANDS section.
find_program(XENRACE_HELP2MAN help2man)
if(XENRACE_HELP2MAN)
  add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/man/xenrace.1
    COMMAND ${CMAKE_COMMAND} -DXENRACE=$<TARGET_FILE:xenrace> -DOUT=${CMAKE_BINARY_DIR}/man/commands.h2m
            -P ${PROJECT_SOURCE_DIR}/cmake/man-commands.cmake
    COMMAND ${XENRACE_HELP2MAN} --no-info --section 1 --source "xenrace ${PROJECT_VERSION}"
            --name "deterministic race reproduction for Xen device hotplug"
            --include ${CMAKE_BINARY_DIR}/man/commands.h2m --output ${CMAKE_BINARY_DIR}/man/xenrace.1
            $<TARGET_FILE:xenrace>
    DEPENDS xenrace ${PROJECT_SOURCE_DIR}/cmake/man-commands.cmake
    COMMENT "Generating the man page xenrace.1 from xenrace --help (help2man)")
  add_custom_target(xenrace_man ALL DEPENDS ${CMAKE_BINARY_DIR}/man/xenrace.1)
  install(FILES ${CMAKE_BINARY_DIR}/man/xenrace.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT man)
else()
  message(WARNING "help2man not found (Debian: help2man; ci/install-deps installs it): no man page is built or installed")
endif()

# ---------------------------------------------------------------- bash completion
install(FILES cli/xenrace-completion.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME xenrace COMPONENT completion)
