"""Deals in more than one currency: amounts that cannot be added.

A CRM that sells in several currencies exports each deal's amount in the deal's own
currency, and says which in a column of its own: Salesforce's ``CurrencyIsoCode``
("Opportunity Currency" in a report), HubSpot's ``Deal currency code``, Pipedrive's and
Zoho's ``Currency``. Summed as they are, $10,000 and ¥10,000 make 20,000 of nothing: every
bookings, pipeline and attainment figure would be wrong without a word.

The rule, asked of the whole source once (:meth:`salesops.data.catalog.Catalog.problems`):
when the deals' amounts are read from a column, and a column of the deals' table is headed
as a currency (:data:`HEADERS`, case and punctuation aside) and holds more than one
currency code among its values (case and spaces aside), the source is refused, naming the
currencies and their rows. Salesops converts nothing. An amount column whose header says it
is converted to one currency (``Amount (converted)``, ``Amount in company currency``:
:data:`CONVERTED`) is in one currency whatever the deals' own are, and passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesops.data.sql import ident, quote
from salesops.data.synonyms import normalize
from salesops.errors import RuleFailure

if TYPE_CHECKING:
    from salesops.data.queries import TableQuery

# Headers of a deal's currency, normalized (salesops.data.synonyms.normalize).
HEADERS = frozenset(
    {"currency", "currencycode", "currencyisocode", "currencyiso", "isocurrencycode"}
    | {"dealcurrency", "dealcurrencycode", "opportunitycurrency", "amountcurrency"}
    | {"transactioncurrency", "transactioncurrencycode", "currencyid", "currencyname"}
)
# Words of an amount's header, normalized, that say it is converted to one currency.
CONVERTED = ("converted", "companycurrency", "homecurrency", "corporatecurrency", "basecurrency")
SHOWN = 5  # currencies a rule names


def mixed(query: TableQuery) -> list[RuleFailure]:
    """The broken rule of a deals' table whose amounts are in more than one currency (see
    the module); none when they are in one, or unknown."""
    amount = query.source_column("amount") if query.exists else None
    if amount is None or any(word in normalize(amount) for word in CONVERTED):
        return []
    assert query.types is not None
    out = []
    for header in [h for h in query.types if normalize(h) in HEADERS and h != amount]:
        code = f"upper(trim(CAST({quote(header)} AS VARCHAR)))"
        counts = query.engine.query(
            f"SELECT {code} AS code, count(*) AS n FROM {ident(query.mapping.source_table)} "
            f"WHERE {code} <> '' GROUP BY 1 ORDER BY n DESC, code",
            {},
        )
        if len(counts) < 2:
            continue
        said = [f"{c} ({n:,} rows)" for c, n in counts.itertuples(index=False)][:SHOWN]
        more = f" and {len(counts) - SHOWN:,} more" if len(counts) > SHOWN else ""
        listed = f"{', '.join(said[:-1])} and {said[-1]}" if not more else ", ".join(said)
        rule = (
            f'is in {len(counts):,} currencies ("{header}": {listed}{more}), which cannot be '
            "added: map a column of amounts converted to one currency as amount (Salesforce's "
            '"Amount (converted)", HubSpot\'s "Amount in company currency"), or convert the '
            "export's amounts to one"
        )
        out.append(RuleFailure(query.table, "amount", rule, 0))
    return out
