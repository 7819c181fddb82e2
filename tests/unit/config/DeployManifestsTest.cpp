// The Kubernetes manifests of deploy/kubernetes/ are what a platform team
// applies first: they must parse, wire the pieces to each other by the names
// they use, and carry a gateway configuration that loads with zero errors.
#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "tests/unit/config/ConfigTestHelpers.hpp"

using namespace hgw::config;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(HGW_SOURCE_DIR) / "deploy/kubernetes";

std::vector<YAML::Node> documents(const std::string& file) {
  return YAML::LoadAllFromFile((kDir / file).string());
}

YAML::Node only(const std::string& file, const std::string& kind) {
  for (const auto& d : documents(file))
    if (d["kind"].as<std::string>() == kind) return d;
  FAIL(file << " has no " << kind);
  return {};
}

}  // namespace

TEST_CASE("the kustomization lists manifests that exist and parse", "[config][deploy]") {
  const auto k = YAML::LoadFile((kDir / "kustomization.yaml").string());
  const auto resources = k["resources"];
  REQUIRE(resources.size() >= 5);
  std::set<std::string> kinds;
  for (const auto& r : resources) {
    const auto file = r.as<std::string>();
    INFO(file);
    REQUIRE(fs::exists(kDir / file));
    for (const auto& d : documents(file)) kinds.insert(d["kind"].as<std::string>());
  }
  CHECK(kinds == std::set<std::string>{"ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
                                       "HorizontalPodAutoscaler"});
}

TEST_CASE("the ConfigMap's gateway.yaml loads and shares state through Redis with the Secret's password",
          "[config][deploy]") {
  const auto cm = only("configmap.yaml", "ConfigMap");
  const auto yaml = cm["data"]["gateway.yaml"].as<std::string>();
  auto r = load_config_string(yaml, "configmap.yaml:gateway.yaml");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  CHECK(r.errors.empty());
  const auto& state = r.config->state;
  CHECK(state.store == "redis");
  CHECK(state.redis_password_env == "REDIS_PASSWORD");
  CHECK(state.on_store_error == StoreErrorPolicy::serve_local);

  // Every *_env variable the config names is a key of the example Secret,
  // which the Deployment loads whole (envFrom) — and so does Redis.
  const auto secret = only("secret.example.yaml", "Secret");
  std::set<std::string> keys;
  for (const auto& kv : secret["stringData"]) keys.insert(kv.first.as<std::string>());
  CHECK(keys.count(state.redis_password_env) == 1);
  CHECK(keys.count(r.config->admin.api_key_env) == 1);
  for (const auto& b : r.config->backends)
    if (!b.api_key_env.empty()) CHECK(keys.count(b.api_key_env) == 1);
  const auto deploy = only("deployment.yaml", "Deployment");
  CHECK(deploy["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["secretRef"]["name"].as<std::string>() ==
        secret["metadata"]["name"].as<std::string>());
  CHECK(cm["metadata"]["name"].as<std::string>() ==
        deploy["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"].as<std::string>());

  // The Redis example answers at the URL the config uses, with the same password.
  const auto redis_service = only("redis.example.yaml", "Service");
  CHECK(state.redis_url == "redis://" + redis_service["metadata"]["name"].as<std::string>() + ":" +
                               redis_service["spec"]["ports"][0]["port"].as<std::string>());
  const auto redis = only("redis.example.yaml", "Deployment");
  CHECK(redis["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["key"]
            .as<std::string>() == state.redis_password_env);
}

TEST_CASE("the autoscaler scales the Deployment, which leaves the replica count to it", "[config][deploy]") {
  const auto hpa = only("hpa.yaml", "HorizontalPodAutoscaler");
  const auto deploy = only("deployment.yaml", "Deployment");
  CHECK(hpa["spec"]["scaleTargetRef"]["kind"].as<std::string>() == "Deployment");
  CHECK(hpa["spec"]["scaleTargetRef"]["name"].as<std::string>() == deploy["metadata"]["name"].as<std::string>());
  CHECK_FALSE(deploy["spec"]["replicas"]);
  const auto pdb = only("poddisruptionbudget.yaml", "PodDisruptionBudget");
  CHECK(hpa["spec"]["minReplicas"].as<int>() > pdb["spec"]["minAvailable"].as<int>());
}
