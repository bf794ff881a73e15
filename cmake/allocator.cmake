# The programs that search (the CLI, the tests, the benchmarks) allocate through tcmalloc, gperftools' minimal
# build, instead of glibc's malloc. A search builds and tears down a whole simulated world per execution, most
# of them cut off after a few new steps: glibc's malloc was a fifth of that time, and tcmalloc takes a bounded
# search 15-20% less wall time with the same counts (bench/README.md, "A faster allocator, and a state key that
# walks no tree"). Only the executables link it: the library libxenrace leaves the allocator to the program that
# loads it. The sanitizers bring their own allocator, so their builds keep glibc's. Without the package the build
# warns and keeps glibc's malloc: the results are the same, only slower.
option(XENRACE_TCMALLOC "Link the CLI, tests and benchmarks with tcmalloc (libgoogle-perftools-dev)" ON)
set(XENRACE_ALLOCATOR "")
if(XENRACE_TCMALLOC AND NOT XENRACE_SANITIZE AND NOT XENRACE_TSAN)
  find_library(XENRACE_TCMALLOC_LIBRARY tcmalloc_minimal)
  if(XENRACE_TCMALLOC_LIBRARY)
    set(XENRACE_ALLOCATOR ${XENRACE_TCMALLOC_LIBRARY})
  else()
    message(WARNING "tcmalloc_minimal not found (Debian: libgoogle-perftools-dev): searches use glibc's malloc, "
                    "about 20% slower; ci/install-deps installs it")
  endif()
endif()

# xenrace_use_allocator(TARGET...): link each executable with the allocator chosen above, if any.
function(xenrace_use_allocator)
  if(XENRACE_ALLOCATOR)
    foreach(target ${ARGN})
      target_link_libraries(${target} PRIVATE ${XENRACE_ALLOCATOR})
    endforeach()
  endif()
endfunction()
