#include "netaccel/core/etcd.h"

#include <curl/curl.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace netaccel {

using nlohmann::json;

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The gateway writes int64s as strings and leaves zero values out.
int64_t num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return 0;
  const auto& v = j[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

// The end of the key range that holds every key starting with `prefix` (etcd's convention).
std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

Result<EtcdKv> kv_of(const json& j) {
  EtcdKv kv;
  auto key = base64_decode(j.value("key", ""));
  auto value = base64_decode(j.value("value", ""));
  if (!key || !value) return make_error(Errc::parse_error, "etcd: a key or value is not base64");
  kv.key = *key;
  kv.value = *value;
  kv.create_revision = num(j, "create_revision");
  kv.mod_revision = num(j, "mod_revision");
  kv.lease = num(j, "lease");
  return kv;
}

// gRPC status codes the gateway reports in {"error", "code", "message"}.
constexpr int kGrpcInvalidArgument = 3, kGrpcNotFound = 5, kGrpcUnavailable = 14;

size_t append_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(v >> s) & 63];
  }
  if (size_t rest = bytes.size() - i) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | (rest == 2 ? uint32_t(uint8_t(bytes[i + 1])) << 8 : 0);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(const std::string& text) {
  if (text.size() % 4) return make_error(Errc::parse_error, "base64: length is not a multiple of 4");
  std::string out;
  uint32_t v = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size() || (i + 1 < text.size() && text[i + 1] != '=')) return make_error(Errc::parse_error, "base64: '=' inside");
      break;
    }
    const char* p = std::strchr(kB64, c);
    if (!p || !c) return make_error(Errc::parse_error, std::string("base64: '") + c + "' is not a base64 character");
    v = v << 6 | uint32_t(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((v >> bits) & 0xff);
    }
  }
  return out;
}

struct EtcdClient::Curl {
  CURL* h = curl_easy_init();
  ~Curl() { curl_easy_cleanup(h); }
};

EtcdClient::EtcdClient(std::vector<std::string> endpoints, int timeout_ms)
    : endpoints_(std::move(endpoints)), timeout_ms_(timeout_ms), curl_(std::make_unique<Curl>()) {
  for (auto& e : endpoints_)
    while (!e.empty() && e.back() == '/') e.pop_back();
}

EtcdClient::~EtcdClient() = default;

Result<std::string> EtcdClient::call(const std::string& path, const std::string& body) {
  if (endpoints_.empty()) return make_error(Errc::invalid_argument, "etcd: no endpoints");
  if (!curl_->h) return errno_error(ENOMEM, "etcd: curl");
  std::string failures;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const size_t m = (preferred_ + i) % endpoints_.size();
    const std::string url = endpoints_[m] + path;
    std::string reply;
    CURL* h = curl_->h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
      failures += (failures.empty() ? "" : "; ") + endpoints_[m] + ": " + curl_easy_strerror(rc);
      continue;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) {
      preferred_ = m;
      return reply;
    }
    auto err = json::parse(reply, nullptr, false);
    const int code = err.is_object() ? static_cast<int>(num(err, "code")) : 0;
    const std::string msg = err.is_object() ? err.value("message", err.value("error", reply)) : reply;
    // A member without a leader (or shutting down) is this member's problem: ask another.
    if (code == kGrpcUnavailable || status >= 500) {
      failures += (failures.empty() ? "" : "; ") + endpoints_[m] + ": " + msg;
      continue;
    }
    if (code == kGrpcNotFound) return make_error(Errc::not_found, "etcd " + path + ": " + msg);
    if (code == kGrpcInvalidArgument) return make_error(Errc::invalid_argument, "etcd " + path + ": " + msg);
    return make_error(Errc::unsupported, "etcd " + path + ": HTTP " + std::to_string(status) + ": " + msg);
  }
  return errno_error(EHOSTDOWN, "etcd: no member answered " + path + " (" + failures + ")");
}

Result<int64_t> EtcdClient::put(const std::string& key, const std::string& value, int64_t lease) {
  json req = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease) req["lease"] = std::to_string(lease);
  auto r = call("/v3/kv/put", req.dump());
  if (!r) return r.error();
  return num(json::parse(*r, nullptr, false).value("header", json::object()), "revision");
}

Result<std::optional<EtcdKv>> EtcdClient::get(const std::string& key) {
  auto r = call("/v3/kv/range", json{{"key", base64_encode(key)}}.dump());
  if (!r) return r.error();
  auto j = json::parse(*r, nullptr, false);
  if (!j.is_object() || !j.contains("kvs") || j["kvs"].empty()) return std::optional<EtcdKv>{};
  auto kv = kv_of(j["kvs"][0]);
  if (!kv) return kv.error();
  return std::optional<EtcdKv>{*kv};
}

Result<EtcdRange> EtcdClient::range_prefix(const std::string& prefix) {
  auto r = call("/v3/kv/range", json{{"key", base64_encode(prefix)}, {"range_end", base64_encode(prefix_end(prefix))}}.dump());
  if (!r) return r.error();
  auto j = json::parse(*r, nullptr, false);
  if (!j.is_object()) return make_error(Errc::parse_error, "etcd range: not JSON");
  EtcdRange out;
  out.revision = num(j.value("header", json::object()), "revision");
  for (const auto& k : j.value("kvs", json::array())) {
    auto kv = kv_of(k);
    if (!kv) return kv.error();
    out.kvs.push_back(*kv);
  }
  return out;
}

Result<int64_t> EtcdClient::remove(const std::string& key) {
  auto r = call("/v3/kv/deleterange", json{{"key", base64_encode(key)}}.dump());
  if (!r) return r.error();
  return num(json::parse(*r, nullptr, false), "deleted");
}

Result<bool> EtcdClient::txn(const std::vector<EtcdGuard>& guards, const std::vector<EtcdOp>& ops, int64_t* revision) {
  json compare = json::array(), success = json::array();
  for (const auto& g : guards)
    compare.push_back({{"key", base64_encode(g.key)}, {"target", "MOD"}, {"result", "EQUAL"}, {"mod_revision", std::to_string(g.mod_revision)}});
  for (const auto& op : ops) {
    if (op.del) {
      success.push_back({{"request_delete_range", {{"key", base64_encode(op.key)}}}});
    } else {
      json put = {{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}};
      if (op.lease) put["lease"] = std::to_string(op.lease);
      success.push_back({{"request_put", put}});
    }
  }
  auto r = call("/v3/kv/txn", json{{"compare", compare}, {"success", success}, {"failure", json::array()}}.dump());
  if (!r) return r.error();
  auto j = json::parse(*r, nullptr, false);
  if (!j.is_object()) return make_error(Errc::parse_error, "etcd txn: not JSON");
  if (revision) *revision = num(j.value("header", json::object()), "revision");
  return j.value("succeeded", false);
}

Result<int64_t> EtcdClient::lease_grant(int ttl_s) {
  auto r = call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_s)}}.dump());
  if (!r) return r.error();
  auto j = json::parse(*r, nullptr, false);
  if (int64_t id = num(j, "ID")) return id;
  return make_error(Errc::unsupported, "etcd lease grant: " + j.value("error", *r));
}

Status EtcdClient::lease_keepalive(int64_t lease) {
  auto r = call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump());
  if (!r) return r.error();
  // One request in, one streamed answer out; an expired lease answers with TTL 0 (or none).
  auto j = json::parse(*r, nullptr, false);
  const json& result = j.is_object() && j.contains("result") ? j["result"] : j;
  if (num(result, "TTL") <= 0) return make_error(Errc::not_found, "etcd lease " + std::to_string(lease) + " has expired");
  return {};
}

Status EtcdClient::lease_revoke(int64_t lease) {
  auto r = call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}}.dump());
  if (!r) return r.error();
  return {};
}

namespace {

// One watch stream: complete lines of JSON are handed on as they arrive.
struct WatchStream {
  std::string buffer, error;
  int64_t next = 0;       // the revision to resume from
  bool compacted = false;
  bool delivered_any = false;
  bool stopped = false;  // on_events said stop
  const std::function<bool(const std::vector<EtcdEvent>&, int64_t)>* on_events = nullptr;
  const std::atomic<bool>* stop = nullptr;

  bool line(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return true;
    if (j.contains("error")) {
      error = j["error"].is_object() ? j["error"].value("message", text) : text;
      return false;
    }
    const json r = j.value("result", json::object());
    if (num(r, "compact_revision") > 0) {
      compacted = true;
      return false;
    }
    std::vector<EtcdEvent> events;
    for (const auto& e : r.value("events", json::array())) {
      auto kv = kv_of(e.value("kv", json::object()));
      if (!kv) continue;
      events.push_back({e.value("type", "") == "DELETE", *kv});
    }
    if (events.empty()) return true;
    delivered_any = true;
    next = events.back().kv.mod_revision + 1;
    if (!(*on_events)(events, num(r.value("header", json::object()), "revision"))) {
      stopped = true;
      return false;
    }
    return true;
  }
  static size_t write(char* data, size_t size, size_t n, void* self) {
    auto* w = static_cast<WatchStream*>(self);
    w->buffer.append(data, size * n);
    for (size_t nl; (nl = w->buffer.find('\n')) != std::string::npos;) {
      std::string one = w->buffer.substr(0, nl);
      w->buffer.erase(0, nl + 1);
      if (!w->line(one)) return 0;  // ends the transfer
    }
    return size * n;
  }
  static int progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<WatchStream*>(self)->stop->load() ? 1 : 0;
  }
};

}  // namespace

Status EtcdClient::watch_prefix(const std::string& prefix, int64_t start_revision,
                                const std::function<bool(const std::vector<EtcdEvent>&, int64_t)>& on_events,
                                const std::atomic<bool>& stop) {
  if (endpoints_.empty()) return make_error(Errc::invalid_argument, "etcd: no endpoints");
  WatchStream w;
  w.next = start_revision;
  w.on_events = &on_events;
  w.stop = &stop;
  size_t member = preferred_;
  size_t failed_in_a_row = 0;
  std::string failures;
  while (!stop.load()) {
    const json req = {{"create_request",
                       {{"key", base64_encode(prefix)}, {"range_end", base64_encode(prefix_end(prefix))}, {"start_revision", std::to_string(w.next)}}}};
    const std::string body = req.dump(), url = endpoints_[member] + "/v3/watch";
    Curl c;
    curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, WatchStream::write);
    curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &w);
    curl_easy_setopt(c.h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c.h, CURLOPT_XFERINFOFUNCTION, WatchStream::progress);
    curl_easy_setopt(c.h, CURLOPT_XFERINFODATA, &w);
    w.buffer.clear();
    w.delivered_any = false;
    CURLcode rc = curl_easy_perform(c.h);
    if (w.stopped || stop.load()) return {};
    if (w.compacted)
      return make_error(Errc::not_found, "etcd watch " + prefix + ": revision " + std::to_string(w.next) + " was compacted; range again");
    failures += (failures.empty() ? "" : "; ") + endpoints_[member] + ": " +
                (w.error.empty() ? std::string(rc == CURLE_OK ? "stream ended" : curl_easy_strerror(rc)) : w.error);
    w.error.clear();
    // A stream that delivered and then broke was a working member: start the count again.
    failed_in_a_row = w.delivered_any ? 1 : failed_in_a_row + 1;
    if (failed_in_a_row > endpoints_.size()) return errno_error(EHOSTDOWN, "etcd watch " + prefix + ": no member serves it (" + failures + ")");
    member = (member + 1) % endpoints_.size();
    if (failed_in_a_row == endpoints_.size()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return {};
}

}  // namespace netaccel
