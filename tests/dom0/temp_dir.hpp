// A private scratch directory per test, removed afterwards whatever happened.
#pragma once
#include <cstdlib>
#include <string>

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/xenrace-dom0-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    if (std::system(("rm -rf '" + path_ + "'").c_str()) != 0) {
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
