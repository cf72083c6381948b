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
