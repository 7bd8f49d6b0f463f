// Parses a calendar feed with Mozilla's ical.js (the parser inside Thunderbird) and prints what
// a calendar client reads from it, as JSON:
//   node tests/js/parse_feed.mjs FEED.ics
// {"calendar": {prodid, version, method, name, calname, refresh, ttl},
//  "events": [{uid, title, start, end, location, status, sequence, url, geo, description,
//              transp}]}
// Times: a date as "YYYY-MM-DD", a UTC time as ISO 8601 with "Z", a floating time (no zone)
// as "YYYY-MM-DDTHH:MM:SS". A parse error exits with status 1 and the message on stderr.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function shown(time) {
  if (!time) return null;
  if (time.isDate) return time.toString();
  if (time.zone === ICAL.Timezone.utcTimezone) return time.toJSDate().toISOString();
  if (time.zone === ICAL.Timezone.localTimezone || !time.zone) return time.toString();
  return time.toString() + " [" + time.zone.tzid + "]";
}

function eventOf(component) {
  const event = new ICAL.Event(component);
  const text = (name) => component.getFirstPropertyValue(name);
  const geo = text("geo");
  return {
    uid: event.uid,
    title: event.summary,
    start: shown(event.startDate),
    end: shown(event.endDate),
    location: event.location,
    status: text("status"),
    sequence: event.sequence,
    url: text("url"),
    geo: geo ? geo.map(Number) : null,
    description: event.description,
    transp: text("transp"),
    dtstamp: text("dtstamp") ? text("dtstamp").toJSDate().toISOString() : null,
  };
}

try {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], "utf8")));
  const value = (name) => {
    const found = calendar.getFirstPropertyValue(name);
    return found === null ? null : found.toString();
  };
  const result = {
    calendar: {
      prodid: value("prodid"),
      version: value("version"),
      method: value("method"),
      name: value("name"),
      calname: value("x-wr-calname"),
      refresh: value("refresh-interval"),
      ttl: value("x-published-ttl"),
    },
    events: calendar.getAllSubcomponents("vevent").map(eventOf),
  };
  process.stdout.write(JSON.stringify(result));
} catch (error) {
  process.stderr.write(`ical.js: ${error.message}\n`);
  process.exit(1);
}
