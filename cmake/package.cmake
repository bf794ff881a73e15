# The Debian package: `cpack --config build/CPackConfig.cmake` (ci/package-test builds, installs and
# removes it). It holds everything `cmake --install` installs, under /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME xenrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "xenrace maintainers <xenrace@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "deterministic race reproduction for Xen device hotplug")
set(CPACK_PACKAGE_DESCRIPTION "xenrace explores the interleavings of Xen device hotplug (XenStore, the block
scripts, blkback, pciback, loop, vfio-mdev, udev) in a simulator, finds the one that breaks an invariant,
shrinks it and prints a command that replays it exactly. Includes libxenrace and its headers for scenario
libraries, the CI scripts (xenrace-gate, xenrace-nightly, xenrace-xen-vm) and the pytest plugin.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # xenrace_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_STRIP_FILES ON)  # as Debian packages are; the debug info stays in the build tree
# The shared-library dependencies of bin/xenrace and libxenrace, from dpkg-shlibdeps (Debian dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The scripts: the gate, compare-report and the plugin run on python3; pytest only for the plugin.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-pytest, qemu-system-x86, cpio, kmod, bash-completion")
# libxenrace.so.0 is found through the installed RUNPATH ($ORIGIN/../lib); no ldconfig trigger needed, but
# the package still says it ships a shared library, as Debian policy asks.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
include(CPack)
