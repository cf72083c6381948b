"""Organizations for Rolegate's emulator (rolegate_emulator.py loads it): who may read
the organization's structure, as in AWS.

Stock moto 5.2 (checked against 5.2.1) answers ListAccounts, ListOrganizationalUnitsForParent
and the other structure reads of a member account from that account's own, empty
backend (empty lists, or RootNotFound), where AWS refuses them with AccessDeniedException
unless the account is a delegated administrator of a service; and it refuses to register
a delegated administrator for CloudFormation StackSets, which AWS allows. This module:

  * answers the structure reads of a member account with AccessDeniedException ("You
    don't have permissions to access this resource."), and those of a delegated
    administrator from the organization's management account, as AWS does;
  * lets "member.org.stacksets.cloudformation.amazonaws.com" have a delegated
    administrator;
  * gives the OrganizationAccountAccessRole that CreateAccount makes in a new account
    the AdministratorAccess policy, as AWS does (moto makes it without any policy, so
    the management account could assume it and then do nothing).

DescribeOrganization is not touched: AWS, like moto, answers it in every member account,
and an account outside any organization gets AWSOrganizationsNotInUseException from
every call, as in moto.
"""

import functools

from moto.organizations import models
from moto.organizations.exceptions import AWSOrganizationsNotInUseException, OrganizationsClientError

STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"

# The structure reads that AWS allows only the management account and delegated administrators.
READS = (
    "list_roots",
    "list_accounts",
    "list_accounts_for_parent",
    "list_organizational_units_for_parent",
    "list_children",
    "list_parents",
    "describe_account",
    "describe_organizational_unit",
)


class AccessDeniedException(OrganizationsClientError):
    code = "AccessDeniedException"

    def __init__(self):
        super().__init__("You don't have permissions to access this resource.")


def management_backend(backend):
    """The backend of `backend`'s organization's management account, and whether
    `backend`'s account may read the structure (management account or delegated
    administrator); None when the account is in no organization."""
    if backend.org is not None:
        return backend, True
    owner = models.organizations_backends.master_accounts.get(backend.account_id)
    if owner is None:
        return None, False
    master = models.organizations_backends[owner[0]][owner[1]]
    delegated = any(admin.account.id == backend.account_id and admin.services for admin in master.admins)
    return master, delegated


def _guard(name):
    original = getattr(models.OrganizationsBackend, name)

    @functools.wraps(original)
    def read(self, *args, **kwargs):
        if self.org is not None:
            return original(self, *args, **kwargs)
        master, allowed = management_backend(self)
        if master is None:
            raise AWSOrganizationsNotInUseException
        if not allowed:
            raise AccessDeniedException()
        return original(master, *args, **kwargs)

    return read


ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
_orig_account_init = models.FakeAccount.__init__


def _account_init(self, organization, **kwargs):
    _orig_account_init(self, organization, **kwargs)
    if kwargs.get("Email") == organization.master_account_email:  # the management account's own entry
        return
    from moto.iam import iam_backends

    iam = iam_backends[self.id]["global"]
    role = kwargs.get("RoleName", "OrganizationAccountAccessRole")
    try:
        iam.attach_role_policy(ADMINISTRATOR_ACCESS, role)
    except Exception:  # the role was someone else's already (moto keeps it as it is)
        pass


def install():
    models.FakeAccount.__init__ = _account_init
    for name in READS:
        setattr(models.OrganizationsBackend, name, _guard(name))
    if STACKSETS_PRINCIPAL not in models.FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        models.FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(STACKSETS_PRINCIPAL)
