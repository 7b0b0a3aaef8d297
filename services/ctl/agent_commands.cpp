#include "agent_commands.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "agent/dbus_api.h"
#include "kube_kinds.h"
#include "netaccel/core/files.h"
#include "yaml_json.h"

namespace netaccel::ctl {

namespace {
namespace ag = netaccel::agent;

int report(int r, sd_bus_error& err, const std::string& what) {
  std::fprintf(stderr, "netaccelctl: %s: %s\n", what.c_str(), sd_bus_error_is_set(&err) ? err.message : strerror(-r));
  if (sd_bus_error_is_set(&err)) std::fprintf(stderr, "  (%s)\n", err.name);
  sd_bus_error_free(&err);
  return 1;
}

// (source name, text) of every file named; stdin for "-".
bool read_sources(const std::vector<std::string>& paths, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& p : paths) {
    if (p == "-") {
      std::stringstream ss;
      ss << std::cin.rdbuf();
      out.push_back({"<stdin>", ss.str()});
      continue;
    }
    std::vector<std::string> files;
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        auto ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(e.path().string());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        std::fprintf(stderr, "netaccelctl: %s: no .yaml, .yml or .json files in it\n", p.c_str());
        return false;
      }
    } else {
      files.push_back(p);
    }
    for (const auto& f : files) {
      auto text = read_file(f);
      if (!text) {
        std::fprintf(stderr, "netaccelctl: %s\n", text.error().what().c_str());
        return false;
      }
      out.push_back({f, *text});
    }
  }
  return true;
}

int print_changes(sd_bus_message* reply) {
  int r = sd_bus_message_enter_container(reply, 'a', "(ssss)");
  const char *what, *kind, *ns, *name;
  while (r >= 0 && (r = sd_bus_message_read(reply, "(ssss)", &what, &kind, &ns, &name)) > 0) {
    std::string lower(kind);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    std::printf("%s/%s %s\n", lower.c_str(), name, what);
  }
  sd_bus_message_unref(reply);
  return r < 0 ? 1 : 0;
}

int send_files(sd_bus* bus, const char* method, const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> sources;
  if (!read_sources(paths, sources)) return 1;
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message *call = nullptr, *reply = nullptr;
  int r = sd_bus_message_new_method_call(bus, &call, ag::kBusName, ag::kObjectPath, ag::kInterface, method);
  if (r >= 0 && std::strcmp(method, "Apply") == 0) {
    r = sd_bus_message_open_container(call, 'a', "(ss)");
    for (const auto& [name, text] : sources)
      if (r >= 0) r = sd_bus_message_append(call, "(ss)", name.c_str(), text.c_str());
    if (r >= 0) r = sd_bus_message_close_container(call);
    if (r >= 0) r = sd_bus_call(bus, call, 0, &err, &reply);
    sd_bus_message_unref(call);
    if (r < 0) return report(r, err, method);
    return print_changes(reply);
  }
  // Delete takes one file at a time: each must name objects that exist.
  sd_bus_message_unref(call);
  int rc = 0;
  for (const auto& [name, text] : sources) {
    r = sd_bus_call_method(bus, ag::kBusName, ag::kObjectPath, ag::kInterface, method, &err, &reply, "ss", text.c_str(), name.c_str());
    if (r < 0) return report(r, err, method);
    rc |= print_changes(reply);
  }
  return rc;
}

std::string join_labels(const YAML::Node& labels) {
  std::string s;
  for (const auto& kv : labels) s += (s.empty() ? "" : ",") + kv.first.Scalar() + "=" + kv.second.Scalar();
  return s.empty() ? "<none>" : s;
}

// o[k1][k2]..., or a null node when any step is missing (yaml-cpp throws on indexing a
// missing key's node: a Pod without status is valid, kubectl shows <none>).
YAML::Node at(const YAML::Node& o, std::initializer_list<const char*> keys) {
  YAML::Node n = YAML::Clone(o);
  for (const char* k : keys) {
    if (!n || !n.IsMap() || !n[k]) return YAML::Node();
    n = n[k];
  }
  return n;
}

// The column kubectl would show after NAME, shortened to what netaccel reads.
std::string detail(const std::string& kind, const YAML::Node& o) {
  auto scalar = [](const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : std::string("<none>"); };
  if (kind == "Pod") return scalar(at(o, {"status", "podIP"})) + "  " + scalar(at(o, {"spec", "nodeName"}));
  if (kind == "Service") {
    std::string ports;
    for (const auto& p : at(o, {"spec", "ports"}))
      ports += (ports.empty() ? "" : ",") + p["port"].Scalar() + "/" + (p["protocol"] ? p["protocol"].Scalar() : "TCP");
    return (at(o, {"spec", "type"}) ? at(o, {"spec", "type"}).Scalar() : "ClusterIP") + "  " + scalar(at(o, {"spec", "clusterIP"})) + "  " + ports;
  }
  if (kind == "EndpointSlice") {
    std::string addrs;
    for (const auto& e : o["endpoints"])
      for (const auto& a : e["addresses"]) addrs += (addrs.empty() ? "" : ",") + a.Scalar();
    return o["addressType"].Scalar() + "  " + (addrs.empty() ? "<none>" : addrs);
  }
  if (kind == "NetworkPolicy") return "podSelector: " + join_labels(at(o, {"spec", "podSelector", "matchLabels"}));
  if (kind == "Node")
    for (const auto& a : at(o, {"status", "addresses"}))
      if (a["type"].Scalar() == "InternalIP") return a["address"].Scalar();
  return join_labels(at(o, {"metadata", "labels"}));
}
}  // namespace

int agent_apply(sd_bus* bus, const std::vector<std::string>& paths) { return send_files(bus, "Apply", paths); }
int agent_delete_files(sd_bus* bus, const std::vector<std::string>& paths) { return send_files(bus, "Delete", paths); }

int agent_delete(sd_bus* bus, const std::string& kind, const std::string& ns, const std::string& name) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, ag::kBusName, ag::kObjectPath, ag::kInterface, "DeleteObject", &err, &reply, "sss", kind.c_str(),
                             ns.c_str(), name.c_str());
  if (r < 0) return report(r, err, "delete " + kind + " " + name);
  return print_changes(reply);
}

int agent_get(sd_bus* bus, const std::string& kind, const std::string& name, const std::string& ns, bool all_namespaces,
              const std::string& output) {
  const ag::KindInfo* k = ag::find_kind(kind);
  if (!k) {
    std::fprintf(stderr, "netaccelctl: '%s' is not a kind netaccel stores (%s, endpoints)\n", kind.c_str(), ag::kind_list().c_str());
    return 1;
  }
  const std::string want_ns = all_namespaces && name.empty() ? "" : (ns.empty() ? "default" : ns);
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, ag::kBusName, ag::kObjectPath, ag::kInterface, "Get", &err, &reply, "sss", kind.c_str(),
                             want_ns.c_str(), name.c_str());
  if (r < 0) return report(r, err, "get " + kind + (name.empty() ? "" : " " + name));
  const char* text = nullptr;
  r = sd_bus_message_read(reply, "s", &text);
  std::string yaml = r >= 0 ? text : "";
  sd_bus_message_unref(reply);
  if (output == "yaml") {
    std::fputs(yaml.c_str(), stdout);
    return 0;
  }
  std::vector<YAML::Node> docs = YAML::LoadAll(yaml);
  if (output == "json") {
    nlohmann::json out;
    if (!name.empty() && docs.size() == 1) {
      out = ag::yaml_to_json(docs[0]);
    } else {
      out = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", nlohmann::json::array()}};
      for (const auto& d : docs) out["items"].push_back(ag::yaml_to_json(d));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (docs.empty()) {
    std::fprintf(stderr, "No resources found%s.\n", want_ns.empty() || !k->namespaced ? "" : (" in " + want_ns + " namespace").c_str());
    return 0;
  }
  if (k->namespaced) std::printf("%-20s ", "NAMESPACE");
  std::printf("%-32s %s\n", "NAME", "DETAIL");
  for (const auto& d : docs) {
    if (k->namespaced) std::printf("%-20s ", d["metadata"]["namespace"].Scalar().c_str());
    std::printf("%-32s %s\n", d["metadata"]["name"].Scalar().c_str(), detail(k->kind, d).c_str());
  }
  return 0;
}

int agent_get_endpoints(sd_bus* bus, const std::string& output) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, ag::kBusName, ag::kObjectPath, ag::kInterface, "ListEndpoints", &err, &reply, "");
  if (r < 0) return report(r, err, "ListEndpoints");
  std::vector<std::string> ids;
  nlohmann::json items = nlohmann::json::array();
  r = sd_bus_message_enter_container(reply, 'a', "(sssssss)");
  const char *id, *netns, *veth, *v4, *v6, *pns, *pname;
  // Columns as wide as their widest cell: runtimes' container ids are 12 to 64 characters.
  std::vector<std::vector<std::string>> rows{{"ENDPOINT", "POD", "HOST VETH", "IPV4", "IPV6", "NETNS"}};
  auto dash = [](const char* s) { return std::string(*s ? s : "-"); };
  while (r >= 0 && (r = sd_bus_message_read(reply, "(sssssss)", &id, &netns, &veth, &v4, &v6, &pns, &pname)) > 0) {
    ids.push_back(id);
    const std::string pod = !*pname ? "-" : *pns ? std::string(pns) + "/" + pname : pname;  // podman passes no namespace
    rows.push_back({id, pod, dash(veth), dash(v4), dash(v6), netns});
  }
  sd_bus_message_unref(reply);
  if (output.empty()) {
    std::vector<size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    for (const auto& row : rows) {
      for (size_t c = 0; c + 1 < row.size(); ++c) std::printf("%-*s  ", static_cast<int>(width[c]), row[c].c_str());
      std::printf("%s\n", row.back().c_str());
    }
    return r < 0 ? 1 : 0;
  }
  for (const auto& e : ids) {
    r = sd_bus_call_method(bus, ag::kBusName, ag::kObjectPath, ag::kInterface, "GetEndpoint", &err, &reply, "s", e.c_str());
    if (r < 0) return report(r, err, "GetEndpoint " + e);
    const char* json = nullptr;
    if (sd_bus_message_read(reply, "s", &json) > 0) items.push_back(nlohmann::json::parse(json, nullptr, false));
    sd_bus_message_unref(reply);
  }
  std::printf("%s\n", output == "json" ? items.dump(2).c_str() : YAML::Dump(YAML::Load(items.dump())).c_str());
  return 0;
}

}  // namespace netaccel::ctl
