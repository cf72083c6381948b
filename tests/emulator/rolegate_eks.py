"""Amazon EKS for Rolegate's emulator (rolegate_emulator.py loads it): the cluster facts
that a service-account role (IRSA) is planned from, as AWS gives them.

Stock moto 5.2 (checked against 5.2.1) gives every cluster of the process the same OIDC
issuer (`https://oidc.eks.REGION.amazonaws.com/id/` and ten random letters drawn once
at import), where AWS gives each cluster its own, ending in 32 upper-case hex digits;
two clusters of one region would then share an IAM OIDC provider, and a role trusting
one would trust the other. It also ignores the `accessConfig` of CreateCluster and
answers DescribeCluster without one, where AWS records the authentication mode
(CONFIG_MAP unless asked otherwise, for a cluster made through the API). This module:

  * gives each new cluster its own issuer `https://oidc.eks.REGION.amazonaws.com/id/HEX32`;
  * keeps `accessConfig.authenticationMode` (API, API_AND_CONFIG_MAP or CONFIG_MAP;
    anything else is InvalidParameterException) and answers it in DescribeCluster.
"""

import functools

from moto.eks import models, responses
from moto.eks.exceptions import InvalidParameterException
from moto.moto_api._internal import mock_random as random

AUTHENTICATION_MODES = ("API", "API_AND_CONFIG_MAP", "CONFIG_MAP")
DEFAULT_AUTHENTICATION_MODE = "CONFIG_MAP"

_orig_cluster_init = models.Cluster.__init__


@functools.wraps(_orig_cluster_init)
def _cluster_init(self, *args, **kwargs):
    _orig_cluster_init(self, *args, **kwargs)
    region = kwargs.get("region_name") or self.arn.split(":")[3]
    self.identity = {"oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{random.get_random_hex(32).upper()}"}}
    self.access_config = {"authenticationMode": DEFAULT_AUTHENTICATION_MODE, "bootstrapClusterCreatorAdminPermissions": True}


_orig_create_cluster = responses.EKSResponse.create_cluster


@functools.wraps(_orig_create_cluster)
def _create_cluster(self):
    wanted = (self._get_param("accessConfig") or {}).get("authenticationMode")
    if wanted is not None and wanted not in AUTHENTICATION_MODES:
        raise InvalidParameterException(message=f"authenticationMode must be one of {', '.join(AUTHENTICATION_MODES)}")
    result = _orig_create_cluster(self)
    if wanted is not None:
        self.eks_backend.clusters[self._get_param("name")].access_config["authenticationMode"] = wanted
    return result


def install():
    models.Cluster.__init__ = _cluster_init
    responses.EKSResponse.create_cluster = _create_cluster
    install_access_entries()


# ------------------------------------------------------------------ access entries
# moto 5.2.1 has no EKS access entries. AWS's: an entry per IAM principal of the account
# on a cluster whose authentication mode admits the API (API or API_AND_CONFIG_MAP; on
# CONFIG_MAP every call is InvalidRequestException), its Kubernetes username and groups and
# tags; a principal that does not exist is InvalidParameterException, a second entry for
# it ResourceInUseException; access policies associated with an entry, cluster-wide or
# for namespaces, go with it when it is deleted.

import json
import time
from urllib.parse import unquote

from moto.eks import urls
from moto.eks.exceptions import InvalidRequestException, ResourceInUseException, ResourceNotFoundException

ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
ACCESS_PATHS = {
    "{0}/clusters/(?P<name>[^/]+)/access-entries$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)/access-policies/(?P<policyArn>.+)$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)/access-policies$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)$",
}


def _entries(backend):
    if not hasattr(backend, "rolegate_access_entries"):
        backend.rolegate_access_entries = {}
    return backend.rolegate_access_entries


def _cluster_for_access(self):
    name = self._get_param("name") or unquote((self.uri_match.groupdict() if self.uri_match else {}).get("name", ""))
    cluster = self.eks_backend.clusters.get(name)
    if cluster is None:
        raise ResourceNotFoundException(clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
                                        message=f"No cluster found for name: {name}.")
    mode = getattr(cluster, "access_config", {}).get("authenticationMode", DEFAULT_AUTHENTICATION_MODE)
    if mode not in ("API", "API_AND_CONFIG_MAP"):
        raise InvalidRequestException(clusterName=name,
                                      message="The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.")
    return cluster


def _principal(self):
    params = self.uri_match.groupdict() if self.uri_match else {}
    return unquote(params.get("principalArn") or self._get_param("principalArn") or "")


def _entry_or_404(self, cluster, principal):
    entry = _entries(self.eks_backend).get((cluster.name, principal))
    if entry is None:
        raise ResourceNotFoundException(clusterName=cluster.name, nodegroupName=None, fargateProfileName=None, addonName=None,
                                        message=f"The specified principalArn could not be found: {principal}")
    return entry


def _principal_exists(account_id, arn):
    from moto.iam.models import iam_backends

    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or parts[4] != account_id:
        return False
    iam = iam_backends[account_id]["global"]
    kind, _, rest = parts[5].partition("/")
    name = rest.rsplit("/", 1)[-1]
    try:
        (iam.get_user if kind == "user" else iam.get_role)(name)
        return kind in ("user", "role")
    except Exception:
        return False


def _public(entry):
    return {k: v for k, v in entry.items() if k != "policies"}


def create_access_entry(self):
    cluster = _cluster_for_access(self)
    principal = self._get_param("principalArn") or ""
    if not _principal_exists(self.current_account, principal):
        raise InvalidParameterException(clusterName=cluster.name, message=f"The specified principalArn is invalid: invalid principal {principal}")
    entries = _entries(self.eks_backend)
    if (cluster.name, principal) in entries:
        raise ResourceInUseException(clusterName=cluster.name, nodegroupName=None, addonName=None,
                                     message="The specified access entry resource is already in use on this cluster.")
    now = time.time()
    kind = principal.split(":", 5)[5].split("/", 1)[0]
    entry = {
        "clusterName": cluster.name,
        "principalArn": principal,
        "kubernetesGroups": self._get_param("kubernetesGroups") or [],
        "accessEntryArn": f"{cluster.arn.replace(':cluster/', ':access-entry/')}/{kind}/{self.current_account}/{random.get_random_hex(8)}",
        "createdAt": now,
        "modifiedAt": now,
        "tags": self._get_param("tags") or {},
        "username": self._get_param("username") or (f"{principal}" if kind == "user" else f"{principal}/{{{{SessionName}}}}"),
        "type": self._get_param("type") or "STANDARD",
        "policies": {},
    }
    entries[(cluster.name, principal)] = entry
    return json.dumps({"accessEntry": _public(entry)})


def describe_access_entry(self):
    cluster = _cluster_for_access(self)
    return json.dumps({"accessEntry": _public(_entry_or_404(self, cluster, _principal(self)))})


def list_access_entries(self):
    cluster = _cluster_for_access(self)
    return json.dumps({"accessEntries": sorted(p for (c, p) in _entries(self.eks_backend) if c == cluster.name)})


def delete_access_entry(self):
    cluster = _cluster_for_access(self)
    principal = _principal(self)
    _entry_or_404(self, cluster, principal)
    del _entries(self.eks_backend)[(cluster.name, principal)]
    return "{}"


def associate_access_policy(self):
    cluster = _cluster_for_access(self)
    principal = _principal(self)
    entry = _entry_or_404(self, cluster, principal)
    policy = self._get_param("policyArn") or ""
    scope = self._get_param("accessScope") or {}
    if not policy.startswith(ACCESS_POLICY_PREFIX) or scope.get("type") not in ("cluster", "namespace") or (
        scope.get("type") == "namespace" and not scope.get("namespaces")
    ):
        raise InvalidParameterException(clusterName=cluster.name, message="policyArn must be an EKS access policy and accessScope cluster, or namespace with namespaces")
    now = time.time()
    old = entry["policies"].get(policy)
    entry["policies"][policy] = {
        "policyArn": policy,
        "accessScope": {"type": scope["type"], "namespaces": scope.get("namespaces") or []},
        "associatedAt": old["associatedAt"] if old else now,
        "modifiedAt": now,
    }
    return json.dumps({"clusterName": cluster.name, "principalArn": principal, "associatedAccessPolicy": entry["policies"][policy]})


def list_associated_access_policies(self):
    cluster = _cluster_for_access(self)
    principal = _principal(self)
    entry = _entry_or_404(self, cluster, principal)
    return json.dumps({"clusterName": cluster.name, "principalArn": principal, "associatedAccessPolicies": list(entry["policies"].values())})


def disassociate_access_policy(self):
    cluster = _cluster_for_access(self)
    principal = _principal(self)
    entry = _entry_or_404(self, cluster, principal)
    policy = unquote((self.uri_match.groupdict() if self.uri_match else {}).get("policyArn") or "")
    entry["policies"].pop(policy, None)
    return "{}"


ACCESS_HANDLERS = (create_access_entry, describe_access_entry, list_access_entries, delete_access_entry,
                   associate_access_policy, list_associated_access_policies, disassociate_access_policy)


def install_access_entries():
    for path in ACCESS_PATHS:
        urls.url_paths[path] = urls.response.dispatch
    for f in ACCESS_HANDLERS:
        setattr(responses.EKSResponse, f.__name__, f)
