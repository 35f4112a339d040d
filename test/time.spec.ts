import assert from "node:assert/strict";
import {
  formatDate,
  formatDateTime,
  formatDuration,
  isValidTimeZone,
  weekLabel,
} from "../runtime/contract/time";

describe("time", () => {
  it("must format instants as YYYY-MM-DD HH:mm:ss in the display zone (default Asia/Seoul)", () => {
    assert.equal(formatDateTime("2024-11-03T17:00:00Z"), "2024-11-04 02:00:00");
    assert.equal(formatDateTime("2024-11-04T02:00:00+09:00", "UTC"), "2024-11-03 17:00:00");
    assert.equal(formatDateTime("2024-11-04T00:00:00+09:00"), "2024-11-04 00:00:00");
  });

  it("must give the calendar date in the display zone", () => {
    assert.equal(formatDate("2024-11-03T16:00:00Z"), "2024-11-04");
    assert.equal(formatDate("2024-11-03T16:00:00Z", "America/New_York"), "2024-11-03");
  });

  it("must label weeks as ceil(day/7)주차", () => {
    assert.equal(weekLabel("2024-11-03"), "1주차");
    assert.equal(weekLabel("2024-11-07"), "1주차");
    assert.equal(weekLabel("2024-11-08"), "2주차");
    assert.equal(weekLabel("2024-11-28"), "4주차");
    assert.equal(weekLabel("2024-11-29"), "5주차");
    assert.equal(weekLabel("2024-10-31"), "5주차");
    assert.equal(weekLabel("2024-11-02T20:00:00Z"), "1주차");
  });

  it("must take a YYYY-MM-DD date as that calendar day in any zone, and anything else as an instant", () => {
    // The report's date is already a date in the display zone: reading it as UTC midnight would
    // move it to the day before west of Greenwich (2024-11-07 in New York, 1주차).
    assert.equal(weekLabel("2024-11-08", "America/New_York"), "2주차");
    assert.equal(weekLabel("2024-11-08", "Pacific/Honolulu"), "2주차");
    // An instant whose UTC date (the 7th) is a week before its Seoul date (the 8th).
    assert.equal(weekLabel("2024-11-07T20:00:00Z"), "2주차");
    assert.equal(weekLabel("2024-11-07T20:00:00Z", "UTC"), "1주차");
    assert.equal(weekLabel(new Date("2024-11-07T20:00:00Z")), "2주차");
    // ISO 8601's expanded year is an instant too (UTC midnight, 09:00 in Seoul), not a day to slice.
    assert.equal(weekLabel("+002024-11-01"), "1주차");
  });

  it("must reject an instant that is not a date, rather than print NaN", () => {
    for (const bad of ["not a date", "2024-13-45T00:00:00Z", new Date(Number.NaN)]) {
      assert.throws(() => formatDateTime(bad), { name: "RangeError", message: "invalid date" });
      assert.throws(() => formatDate(bad, "UTC"), { name: "RangeError", message: "invalid date" });
      assert.throws(() => weekLabel(bad), { name: "RangeError", message: "invalid date" });
    }
  });

  it("must read durations naturally", () => {
    assert.equal(formatDuration(45), "45초");
    assert.equal(formatDuration(0), "0초");
    assert.equal(formatDuration(83), "1분 23초");
    assert.equal(formatDuration(60), "1분");
    assert.equal(formatDuration(3723), "1시간 2분 3초");
    assert.equal(formatDuration(44.6), "45초");
  });

  it("must tell valid IANA zones from unknown ones", () => {
    assert.equal(isValidTimeZone("Asia/Seoul"), true);
    assert.equal(isValidTimeZone("Mars/Olympus"), false);
  });
});
