import json, subprocess, sys

cases = {
    "calagator_apple_multiple_vcalendars": ["--from", "2010-04-01", "--to", "2010-04-30"],
    "calagator_google_portland_user_groups": [
        "--from",
        "2008-02-01",
        "--to",
        "2008-03-31",
        "--url",
        "https://www.google.com/calendar/ical/portland/public/basic.ics",
    ],
    "calagator_plancast_allday_tzid": ["--from", "2011-06-01", "--to", "2011-06-30"],
    "icalendar_bad_tzid_utc_plus11": ["--from", "2017-02-01", "--to", "2017-03-31"],
    "icalevents_duration_no_dtend": ["--from", "2018-01-01", "--to", "2018-01-31"],
    "icalevents_ms_tz": ["--from", "2021-03-01", "--to", "2021-03-31"],
    "icalevents_recurrenceid_google": ["--from", "2021-03-20", "--to", "2021-03-31"],
    "meetup_detroitruby_group_feed": ["--from", "2012-12-31", "--to", "2013-12-31"],
    "recurring_discourse_no_dtend": [
        "--from",
        "2019-01-01",
        "--to",
        "2019-12-31",
        "--url",
        "https://forum.example.org/calendar.ics",
    ],
    "recurring_x_wr_timezone_floating": ["--from", "2021-09-01", "--to", "2021-09-30"],
    "exchange_windows_tzid_timed": ["--from", "2021-03-01", "--to", "2021-03-31"],
    "google_series_rdate_exdate_cancelled_override": ["--from", "2007-11-01", "--to", "2008-05-31"],
    "broken_offsets_html_uid_raw_newline": ["--from", "2024-01-01", "--to", "2024-12-31"],
}
for name, args in cases.items():
    out = subprocess.run(
        [".venv/bin/planner", "extract", f"tests/data/ics/{name}.ics", *args],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        print(name, out.stderr)
        continue
    events = json.loads(out.stdout)
    json.dump(
        {"args": args, "events": events},
        open(f"tests/data/ics/{name}.json", "w"),
        indent=2,
        ensure_ascii=False,
    )
    open(f"tests/data/ics/{name}.json", "a").write("\n")
    print(name, len(events), out.stderr.strip()[:200])
