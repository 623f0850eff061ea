"""`kronika reextract`: rebuild a harvest's Articles from its WARC files, with no network.

Every metadata record the crawl wrote ties a capture to an Article; the capture's bytes
(a revisit's through the response it refers to) go through today's extraction cascade
with the same inputs as at crawl time: URL, Content-Type, the listing's date, the capture
date. After a profile fix, this re-derives every article without fetching anything.

Every article is re-extracted with the rules of the site its metadata record names.
A site without a profile (a `kronika crawl --url` site: saved in the harvest's sites
file, or every article of it read by the generic extractor) is read with no profile, as
the crawl read it. Articles of any other site this kronika does not know (a spider since
removed or renamed, a harvest of another installation) would silently get the generic
rules: instead nothing is re-extracted, and the sites are named (UnknownSite: one line,
exit 2).

A damaged or partial WARC set is re-extracted as far as it goes: a WARC file whose last
record is cut short is read up to that record, and an article whose capture is not in
the files present (a revisit whose original is in another run's file, a capture in the
skipped part) is counted as "not re-extracted"; the summary's ``problems`` say what (the
command then exits 1).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path


def run_reextract(harvest_dir: Path, store_spec: str | None = None) -> dict:
    """Re-extract into the harvest's store, or the PostgreSQL store ``store_spec``
    names; returns counts per site."""
    from archive.replay import WarcArchive
    from archive.stores import open_store
    from crawler.extract import SiteRules, extract
    from crawler.spider.saved import load_saved
    from crawler.spider.sites import UnknownSite, rules_for

    archive = WarcArchive(harvest_dir)
    unknown: Counter[str] = Counter()
    profiled: Counter[str] = Counter()  # articles of an unknown site read with a profile
    for _, fields in archive.links:
        site = fields.get("kronika-site", "generic")
        if site != "generic":
            try:
                rules_for(site)
            except UnknownSite:
                unknown[site] += 1
                profiled[site] += fields.get("kronika-extraction") != "generic"
    saved = load_saved(Path(harvest_dir))
    without_profile = {site for site in unknown if site in saved or not profiled[site]}
    unknown = Counter({s: n for s, n in unknown.items() if s not in without_profile})
    if unknown:
        named = ", ".join(f"{site!r} ({n} article{'s' if n > 1 else ''})"
                          for site, n in sorted(unknown.items()))
        raise UnknownSite(f"the WARC files hold articles of sites kronika does not know: "
                          f"{named}; nothing re-extracted")
    store = open_store(store_spec, Path(harvest_dir))
    run_id = store.start_run("kronika reextract")
    counts: dict[str, Counter] = defaultdict(Counter)
    missing: list[str] = []  # articles whose capture is not in the files present
    unoriginal: list[str] = []  # revisits whose original payload is not
    for record_id, fields in archive.links:
        site = fields.get("kronika-site", "generic")
        capture = archive.captures.get(record_id)
        if capture is None:
            counts[site]["not re-extracted"] += 1
            missing.append(fields.get("kronika-canonical-url")
                           or fields.get("kronika-article-id", "?"))
            continue
        try:
            payload = archive.payload(capture)
        except LookupError:
            counts[site]["not re-extracted"] += 1
            unoriginal.append(capture.url)
            continue
        rules = (None if site == "generic" else SiteRules(site) if site in without_profile
                 else rules_for(site))
        record = extract(
            payload, capture.url, rules, content_type=capture.content_type,
            listing_date=fields.get("kronika-listing-date"), fetched_at=capture.date,
            capture={"warc_file": capture.warc_file, "record_id": record_id,
                     "payload_digest": capture.digest})
        counts[site][store.save_article(record, run_id)] += 1
    problems = list(archive.damaged)
    if unoriginal:
        problems.append(f"{_articles(len(unoriginal))} not re-extracted: revisit records "
                        f"whose original payloads are in WARC files not present "
                        f"(e.g. {unoriginal[0]})")
    if missing:
        problems.append(f"{_articles(len(missing))} not re-extracted: their captures are "
                        f"not in the WARC files read (e.g. {missing[0]})")
    summary = {"run_id": run_id, "sites": {s: dict(c) for s, c in counts.items()},
               "problems": problems}
    store.finish_run(run_id, 1 if problems else 0, summary)
    store.close()
    return summary


def _articles(n: int) -> str:
    return f"{n} article{'s' if n != 1 else ''}"
