"""The names CRMs give their tables and columns, for ``salesops map``
(:mod:`salesops.data.proposal`): Salesforce, HubSpot, Pipedrive, Zoho and hand-kept
spreadsheets, normalized (lower case, letters and digits only)."""

from __future__ import annotations

import re

TABLE_NAMES: dict[str, tuple[str, ...]] = {
    "opportunities": ("opportunity", "opportunities", "deals", "deal", "potentials", "pipeline"),
    "opportunity_history": ("opportunityhistory", "dealhistory", "stagehistory", "history"),
    "reps": (
        "user",
        "users",
        "owners",
        "owner",
        "team",
        "teams",
        "reps",
        "salespeople",
        "employees",
        "agents",
        "sellers",
    ),
    "quotas": ("forecastingquota", "quotas", "quota", "targets"),
    "leads": ("lead", "leads"),
    "activities": ("task", "tasks", "activities", "activity", "events", "calls"),
    "forecast_submissions": ("forecasts", "forecastsubmissions", "forecastsubmission"),
}
# Column headers, after a leading word of PREFIXES is also tried without it ("Deal - Value"
# is "dealvalue" and "value"; HubSpot through Fivetran's "property_closedate" is "closedate").
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "opportunity_id": ("opportunityid", "recordid", "dealid", "id", "deal"),
    "account_id": (
        "accountid",
        "associatedcompanyids",
        "companyid",
        "organization",
        "customer",
        "account",
        "accountname",
        "company",
        "associatedcompany",  # HubSpot's deals export: the company's name
    ),
    "owner_id": ("ownerid", "dealownerid", "owner", "dealowner", "rep", "salesrep", "leadownerid"),
    "region": ("region", "regionc", "territory", "division", "salesregionc", "team"),
    "segment": ("segment", "segmentc", "type"),
    "product": ("product", "productline", "productfamilyc", "productfamily"),
    "lead_source": ("leadsource", "source", "originalsource", "origin"),
    "created_date": (
        "createddate",
        "createdate",
        "created",
        "createdtime",
        "dealcreated",
        "opened",
        "createdat",
    ),
    "close_date": (  # the day a deal did close before the day it was expected to
        "actualclosedate",
        "actualclose",
        "closedate",
        "closingdate",
        "expectedclosedate",
        "closeexpected",
        "closed",
        "closedon",
        "dealclosedon",
    ),
    "stage": ("stagename", "stage", "dealstage", "pipelinestageid", "stageid"),
    "amount": ("amount", "value", "dealvalue", "quotaamount", "quota"),
    "forecast_category": ("forecastcategoryname", "forecastcategory"),
    # (a connector's version start, Fivetran's _fivetran_start, is never proposed: a sync time)
    # (HubSpot's deal_stage: date_entered, when the deal entered the row's stage)
    "changed_at": (
        "createddate",
        "changedat",
        "changed",
        "changedate",
        "dateentered",
        "entereddate",
        "enteredat",
        "date",
    ),
    "rep_id": ("id", "ownerid", "userid", "quotaownerid", "rep", "name"),
    "name": ("name", "ownername", "fullname", "firstandlastname"),
    "manager_id": ("managerid", "manager", "reportingtoid", "managerownerid"),
    "role": ("role", "userrole", "title"),
    "email": ("email", "emailaddress", "workemail", "useremail"),
    "hire_date": ("startdatec", "startdate", "hiredate", "hired"),
    "end_date": ("terminationdatec", "enddate", "left", "terminationdate"),
    "month": ("startdate", "month", "period"),
    "lead_id": ("recordid", "leadid", "id"),
    "created_at": ("createdtime", "createddate", "createdat", "created"),
    "source": ("leadsource", "source", "origin"),
    "first_response_at": ("firstresponseat", "firstresponse", "firstcontacted", "firsttouch"),
    "converted_at": ("convertedtime", "converteddate", "convertedat"),
    "activity_id": ("activityid", "id"),
    "started_at": ("startedat", "activitydate", "start", "date"),
    "kind": ("type", "kind", "activitytype", "tasksubtype"),
    "minutes": ("minutes", "durationinminutes", "duration"),
    "submitted_at": ("submittedat", "submitted"),
    "category": ("category", "forecastcategory"),
    "period": ("period", "forecastperiod"),
}
# Headers taken before any of a column's names: an amount converted to one currency, where
# "Amount" is in each deal's own (salesops.data.currencies).
PREFERRED: dict[str, tuple[str, ...]] = {
    "amount": (
        "amountconverted",
        "convertedamount",
        "amountincompanycurrency",
        "amountinhomecurrency",
    )
}
PREFIXES = ("deal", "opportunity", "lead", "user", "property")  # HubSpot: property_amount
# Words in a header that say what it holds (``close_value``, ``sales_agent``,
# ``regional_office``), tried after the names above.
MONEY_WORDS = ("amount", "value", "revenue", "price", "total", "arr", "mrr", "acv")
OWNER_WORDS = ("owner", "rep", "agent", "seller", "salesperson", "assigned", "user")
# Words in a header that name a person who sells, for an owner found by content without a
# people file (Olist's ``sr_id``: its sales rep): the owner's words, a closer's
# abbreviations, and a setter's (``sdr_id``: who qualified the lead, taken only when no
# closer is named).
PERSON_WORDS = (*OWNER_WORDS, "sr", "ae", "am", "salesrep", "person", "employee", "closer")
SETTER_WORDS = ("sdr", "bdr", "setter")
# Words in a header that say it names something other than a person: an account, a product,
# a lead, a record's kind (never an owner, however its values repeat).
NOT_PERSON_WORDS = frozenset(
    {"account", "company", "customer", "client", "org", "organization", "organisation"}
    | {"product", "sku", "item", "pricebook", "lead", "mql", "campaign", "contact", "deal"}
    | {"opportunity", "opp", "record", "type", "territory", "pipeline", "stage", "quote"}
    | {"contract", "order", "invoice", "partner", "parent", "source", "segment", "category"}
    | {"currency", "region", "team", "fiscal", "batch"}
)
REGION_WORDS = ("region", "regional", "office", "territory", "division", "area", "team", "teams")
# A lone date column named with one of these is when deals closed (``won_date``).
CLOSE_WORDS = frozenset({"won", "close", "closed", "closing", "lost", "signed"})


def normalize(name: str) -> str:
    """``"Deal - Owner.id"`` as ``"dealownerid"``; ``"Region__c"`` as ``"regionc"``."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def words(header: str) -> list[str]:
    """``"regional_office"`` as ``["regional", "office"]``; ``"CloseDate"`` as
    ``["close", "date"]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", header)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.casefold()) if w]


# Connectors write bookkeeping columns of their own beside the CRM's (Fivetran's
# ``_fivetran_synced`` and ``_fivetran_start``, Airbyte's ``_airbyte_extracted_at``,
# Stitch's ``_sdc_batched_at``, Hevo's ``_hevo_ingested_at``, dlt's ``_dlt_load_id``): when
# the row was copied, not when anything happened in the CRM. A CRM field never begins with
# an underscore (Salesforce's custom fields end with ``__c``), so any header that does is
# taken for one of them.
# A connector column that begins a version of a record (Fivetran's history mode:
# ``_fivetran_start``/``_fivetran_end``; ``_valid_from`` of a slowly changing dimension).
BEGIN_WORDS = frozenset({"start", "valid", "from", "begin"})
VERSION_WORDS = BEGIN_WORDS | {"end", "to"}


def synced(header: str) -> bool:
    """Whether ``header`` is a connector's bookkeeping column (a leading underscore:
    ``_fivetran_start``, ``_airbyte_extracted_at``, ``_sdc_batched_at``), never a CRM event.

    Examples
    --------
    >>> synced("_fivetran_start"), synced("_sdc_batched_at"), synced("close_date")
    (True, True, False)
    """
    return header.lstrip().startswith("_")
