// A shared library with no scenario in it: `xenrace --load` must refuse it, naming it.
int xenrace_test_plugin_without_scenarios() { return 0; }
