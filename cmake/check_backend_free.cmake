# Build-time check (scenarios/CMakeLists.txt): scenarios and the toolstack are written against world/ only, so
# no file under DIRS (a comma-separated list of folders, relative to ROOT) may include a backend header
# ("backends/..."). On success touches STAMP; else fails the build naming every such include.
# Run: cmake -DROOT=<source dir> -DDIRS=scenarios,toolstack -DSTAMP=<file> -P check_backend_free.cmake
string(REPLACE "," ";" dirs "${DIRS}")
if(NOT dirs)
  message(FATAL_ERROR "check_backend_free: no DIRS given")
endif()
set(bad "")
foreach(dir IN LISTS dirs)
  file(GLOB_RECURSE sources "${ROOT}/${dir}/*.cpp" "${ROOT}/${dir}/*.hpp" "${ROOT}/${dir}/*.h")
  foreach(src IN LISTS sources)
    file(STRINGS "${src}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"backends/")
    foreach(line IN LISTS lines)
      file(RELATIVE_PATH rel "${ROOT}" "${src}")
      string(STRIP "${line}" line)
      string(APPEND bad "\n  ${rel}: ${line}")
    endforeach()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "scenarios/ and toolstack/ are written against world/ only and include no backend "
                      "(docs/architecture.md, Layout); these do:${bad}")
endif()
file(TOUCH "${STAMP}")
