// An etcd v3 client over etcd's JSON gateway (POST /v3/..., keys and values base64, int64s as
// strings), through libcurl. It knows every member's client URL and moves to the next one
// when a member does not answer, so one member down is not an error. What the agent's
// cluster mode needs: puts and ranges, all-or-nothing transactions guarded by mod_revision,
// leases that take a dead node's keys with them, and watches that resume from a revision.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel {

struct EtcdKv {
  std::string key, value;
  int64_t create_revision = 0, mod_revision = 0, lease = 0;
};

struct EtcdEvent {
  bool deleted = false;
  EtcdKv kv;  // a delete carries the key and its mod_revision only
};

// One operation of a transaction.
struct EtcdOp {
  bool del = false;
  std::string key, value;
  int64_t lease = 0;
  static EtcdOp put(std::string k, std::string v, int64_t lease = 0) { return {false, std::move(k), std::move(v), lease}; }
  static EtcdOp remove(std::string k) { return {true, std::move(k), "", 0}; }
};

// A guard of a transaction: `key`'s mod_revision is exactly this (0: the key does not exist).
struct EtcdGuard {
  std::string key;
  int64_t mod_revision = 0;
};

struct EtcdRange {
  std::vector<EtcdKv> kvs;
  int64_t revision = 0;  // the store's revision the range was read at (watch from revision + 1)
};

std::string base64_encode(const std::string& bytes);
Result<std::string> base64_decode(const std::string& text);

class EtcdClient {
 public:
  // endpoints: client URLs ("http://127.0.0.1:2379"); timeout per request.
  explicit EtcdClient(std::vector<std::string> endpoints, int timeout_ms = 5000);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  Result<int64_t> put(const std::string& key, const std::string& value, int64_t lease = 0);  // the new revision
  Result<std::optional<EtcdKv>> get(const std::string& key);
  Result<EtcdRange> range_prefix(const std::string& prefix);
  Result<int64_t> remove(const std::string& key);  // how many keys were deleted
  // All of `ops` or none: false (and nothing changed) when a guard no longer holds.
  // `revision`, when given, gets the store's revision after the transaction.
  Result<bool> txn(const std::vector<EtcdGuard>& guards, const std::vector<EtcdOp>& ops, int64_t* revision = nullptr);

  Result<int64_t> lease_grant(int ttl_s);  // the lease id
  Status lease_keepalive(int64_t lease);   // NotFound once the lease has expired
  Status lease_revoke(int64_t lease);      // its keys go with it

  // Streams changes under `prefix` from `start_revision` until `on_events` returns false or
  // `stop` is set (libcurl checks it about once a second). A member that goes away mid-stream is left
  // for the next one, resuming after the last revision delivered, so no event is lost or
  // repeated. An error only when no member can serve the watch (or the revision was
  // compacted away: Errc::not_found, the caller must range again).
  Status watch_prefix(const std::string& prefix, int64_t start_revision,
                      const std::function<bool(const std::vector<EtcdEvent>&, int64_t revision)>& on_events,
                      const std::atomic<bool>& stop);

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  struct Curl;
  // POST to the preferred member, then to each other one until one answers; the reply's text.
  Result<std::string> call(const std::string& path, const std::string& body);
  std::vector<std::string> endpoints_;
  int timeout_ms_;
  size_t preferred_ = 0;  // the member that answered last
  std::unique_ptr<Curl> curl_;
};

}  // namespace netaccel
