// A real etcd cluster (the distribution's etcd 3.4) for tests: n members, each a process of
// this test with its own data directory and ports, stopped by pid, on loopback or on an
// address in a network namespace the test made (where nodes in other namespaces reach it).
// Members can be killed and brought back, as the cluster-mode tests need.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace netaccel::test {

struct EtcdPlacement {
  std::string netns_path;          // empty: this process's namespace
  std::string host = "127.0.0.1";  // the members' client and peer address
};

class EtcdCluster {
 public:
  // dir: the test's scratch directory; ports from base_port (client 2i, peer 2i+1).
  EtcdCluster(const std::string& dir, int members, int base_port, EtcdPlacement where = {});
  ~EtcdCluster();
  bool healthy(int timeout_ms = 20000);  // every running member answers
  std::vector<std::string> client_urls() const;
  std::string client_url(int i) const;
  void kill(int i);     // SIGKILL: no goodbye to the others
  bool restart(int i);  // same data directory: it rejoins
  std::string log(int i) const;

 private:
  bool start(int i, bool existing);
  std::string url(int port) const;
  EtcdPlacement where_;
  std::string dir_, initial_cluster_;
  int base_port_, n_;
  std::vector<std::unique_ptr<Process>> members_;
};

}  // namespace netaccel::test
