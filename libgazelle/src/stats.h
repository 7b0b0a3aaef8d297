// The per-process stats file gazellectl reads (see include/gazelle/stats_abi.h).
#pragma once

#include <string>

#include "gazelle/stats_abi.h"

namespace gazelle {

class StatsFile {
 public:
  // Creates stats_dir/lstack-<pid>.stats; nullptr (stats off) if that is impossible.
  static StatsFile* create(const std::string& dir, const char* backend, const std::string& ifname, uint32_t host_addr);
  ~StatsFile();
  gazelle_stats* data() { return s_; }
  // The file of a forked child's parent must not be removed by the child.
  void forget() { path_.clear(); }

 private:
  StatsFile(std::string path, gazelle_stats* s) : path_(std::move(path)), s_(s) {}
  std::string path_;
  gazelle_stats* s_;
};

std::string stats_path(const std::string& dir, int pid);

// The counters of this process: the stats file's when there is one, a private copy otherwise.
gazelle_stats& counters();
void set_counters(gazelle_stats* file_backed);

}  // namespace gazelle
