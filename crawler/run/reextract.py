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

The store is rebuilt as the crawl left it: every response and revisit record becomes a
capture again (URL, status, Content-Type, WARC file, record id, payload digest, and the
ETag and Last-Modified its HTTP headers carry) and the first full response of each
payload digest its payload's place, so the next crawl sends conditional requests and
writes revisits as after the original crawl, even when the SQLite file was lost.

Extraction is spread over the machine's cores (a process pool fed chunks of captures;
each worker reads its payloads from the WARC files itself), and only this process writes
the store, in transactions of many articles: per-article commits cost more than
extraction. Results are saved in WARC order whatever the number of workers.
"""


from __future__ import annotations

import os
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

BATCH = 500  # articles per store transaction
CHUNK = 64  # captures per task sent to a worker


def run_reextract(harvest_dir: Path, store_spec: str | None = None,
                  workers: int | None = None, chunk: int = CHUNK) -> dict:
    """Re-extract into the harvest's store, or the PostgreSQL store ``store_spec``
    names; returns counts per site. ``workers``: extraction processes (default: one per
    core; 1 extracts in this process); ``chunk``: captures per task sent to one."""
    from archive.replay import WarcArchive
    from archive.stores import open_store
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
    jobs: list[tuple] = []
    for record_id, fields in archive.links:
        site = fields.get("kronika-site", "generic")
        capture = archive.captures.get(record_id)
        if capture is None:
            counts[site]["not re-extracted"] += 1
            missing.append(fields.get("kronika-canonical-url")
                           or fields.get("kronika-article-id", "?"))
            continue
        # The bytes of a revisit are those of the response it refers to.
        body = (archive.by_digest.get(capture.digest) if capture.digest else None) \
            if capture.record_type == "revisit" else capture
        if body is None:
            counts[site]["not re-extracted"] += 1
            unoriginal.append(capture.url)
            continue
        jobs.append((str(archive.dir / body.warc_file), body.offset, site,
                     site in without_profile, capture.url, capture.content_type,
                     fields.get("kronika-listing-date"), capture.date,
                     {"warc_file": capture.warc_file, "record_id": record_id,
                      "payload_digest": capture.digest}))
    restored = store.restore_captures(run_id, read_captures(archive))
    for batch in _batches(extracted(jobs, workers, chunk), BATCH):
        outcomes = store.save_articles([(record, prepared) for _, record, prepared in batch],
                                       run_id)
        for (site, _, _), outcome in zip(batch, outcomes, strict=True):
            counts[site][outcome] += 1
    problems = list(archive.damaged)
    if unoriginal:
        problems.append(f"{_articles(len(unoriginal))} not re-extracted: revisit records "
                        f"whose original payloads are in WARC files not present "
                        f"(e.g. {unoriginal[0]})")
    if missing:
        problems.append(f"{_articles(len(missing))} not re-extracted: their captures are "
                        f"not in the WARC files read (e.g. {missing[0]})")
    summary = {"run_id": run_id, "sites": {s: dict(c) for s, c in counts.items()},
               "captures_restored": restored, "problems": problems}
    store.finish_run(run_id, 1 if problems else 0, summary)
    store.close()
    return summary


def extracted(jobs: list[tuple], workers: int | None = None, chunk: int = CHUNK):
    """(site, Article, its text's shingles and band keys) for each job, in the jobs'
    order; chunks of jobs go to a pool of
    ``workers`` processes (one per core by default), or are done here when 1."""
    workers = workers or os.cpu_count() or 1
    # Imported before the pool forks, so each worker starts with the extraction code
    # (lxml, trafilatura, the profiles) loaded instead of importing it again.
    import crawler.extract  # noqa: F401
    import crawler.spider.sites  # noqa: F401
    chunks = _with_witnesses([jobs[i:i + chunk] for i in range(0, len(jobs), chunk)])
    if workers == 1 or len(chunks) <= 1:
        for part in chunks:
            yield from _extract_chunk(part)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # map keeps the order of the chunks: the store sees the same sequence of saves
        # as a single-process run.
        for results in pool.map(_extract_chunk, chunks):
            yield from results


def _with_witnesses(chunks: list[list[tuple]]) -> list[tuple[list[tuple], list[tuple]]]:
    """Each chunk with its witnesses: for every site in it, up to _WITNESSES captures of
    the same site from outside the chunk (the nearest before it, else after it), which
    its worker reads first to learn the site's template (crawler.extract.site), as the
    crawl had read other pages before each one. Chunk edges then change nothing."""
    by_site: dict[str, list[int]] = {}
    flat = [job for part in chunks for job in part]
    for index, job in enumerate(flat):
        by_site.setdefault(job[2], []).append(index)
    result, start = [], 0
    for part in chunks:
        end = start + len(part)
        witnesses = []
        for site in dict.fromkeys(job[2] for job in part):
            outside = [i for i in by_site[site] if not start <= i < end]
            before = [i for i in outside if i < start][-_WITNESSES:]
            after = [i for i in outside if i >= end][:_WITNESSES - len(before)]
            witnesses += [flat[i] for i in before + after]
        result.append((part, witnesses))
        start = end
    return result


# Captures of a site read before a chunk's own: as many as the template's evidence needs.
_WITNESSES = 2


def _extract_chunk(work: tuple[list[tuple], list[tuple]]) -> list[tuple[str, dict, tuple]]:
    """Extract one chunk of captures (run in a worker process), with the near-duplicate
    index's shingles and band keys of each text: a third of the store's work per
    article, done here instead of in the one process that writes."""
    from archive import neardup
    from crawler.extract.site import SiteMemory

    chunk, witnesses = work
    # The template's repetition, as the crawl saw it from page to page: each site's
    # witnesses, then the chunk's pages in WARC order, are shown to one memory; a site
    # with fewer pages than that has its first ones read again once the others were seen.
    memories: dict[str, SiteMemory] = {}
    for job in witnesses:
        extract_one(job, memories.setdefault(job[2], SiteMemory()))
    records = [extract_one(job, memories.setdefault(job[2], SiteMemory())) for job in chunk]
    seen: dict[str, int] = {}
    for job in witnesses:
        seen[job[2]] = seen.get(job[2], 0) + 1
    for index, job in enumerate(chunk):
        seen[job[2]] = seen.get(job[2], 0) + 1
        if seen[job[2]] <= _WITNESSES:
            records[index] = extract_one(job, memories[job[2]])
    results = []
    for job, record in zip(chunk, records, strict=True):
        own = neardup.shingles(record["text"])
        results.append((job[2], record, (own, neardup.band_keys(own))))
    return results


def extract_one(job: tuple, memory=None) -> dict:
    """The Article of one capture: its payload read from the WARC file, then extracted
    with the rules of its site, as at crawl time (``memory``: the site's SiteMemory)."""
    from crawler.extract import SiteRules, extract
    from crawler.spider.sites import rules_for

    path, offset, site, without_profile, url, content_type, listing_date, date, capture = job
    with open(path, "rb") as fh:
        fh.seek(offset)
        payload = next(iter(ArchiveIterator(fh))).content_stream().read()
    rules = (None if site == "generic" else SiteRules(site) if without_profile
             else rules_for(site))
    return extract(payload, url, rules, content_type=content_type,
                   listing_date=listing_date, fetched_at=date, capture=capture, site=memory)


def read_captures(archive) -> list[dict]:
    """The store's capture rows of every response and revisit record ``archive``
    indexed (records past a damaged file's cut are left out, as the archive left them),
    in WARC order, from the same reading of the files as the index. A full response is
    marked "full_payload" when the crawl would have pointed later revisits at it: a
    non-empty, untruncated body with a status below 400."""
    rows = []
    for record_id, c in archive.captures.items():
        response = c.record_type == "response"
        rows.append({
            "url": c.url, "status": c.status, "content_type": c.content_type,
            "warc_file": c.warc_file, "record_id": record_id,
            "payload_digest": c.digest, "date": c.date,
            "etag": None if c.truncated else c.etag,
            "last_modified": None if c.truncated else c.last_modified,
            "full_payload": response and c.has_body and c.status < 400 and not c.truncated
            and bool(c.digest)})
    return rows


def _batches(items, size: int):
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _articles(n: int) -> str:
    return f"{n} article{'s' if n != 1 else ''}"
