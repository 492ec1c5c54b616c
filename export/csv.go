package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// csvHeader names WriteCSV's columns.
var csvHeader = []string{"date", "start", "end", "title", "name", "role", "kind", "warnings", "detail"}

// csvWarningSep joins a shift's warnings in their cell.
const csvWarningSep = " | "

// WriteCSV writes s as CSV (RFC 4180 quoting, by encoding/csv, with "\n"
// line ends): a header row, then one row per shift in roster order, read
// in loc (nil means UTC, snapshot.Floating no zone; see snapshot.Item.Shift):
//
//	date,start,end,title,name,role,kind,warnings,detail
//	2026-04-04,2026-04-04T21:00:00+11:00,2026-04-05T07:00:00+10:00,Ward 4B,Night Shift,RN,work,,"[""21:00 - 07:00"",null,""Night Shift"",""RN""]"
//
// The columns:
//
//   - date is the ISO date of the roster divider;
//   - start and end are RFC 3339 instants with the zone's offset (in
//     snapshot.Floating, the clock times without an offset), empty
//     for leave (an all-day entry) and for shifts without readable times;
//   - title, name and role are as the roster gives them;
//   - kind is work, on-call, leave or unknown;
//   - warnings are joined with " | ", for people to read;
//   - detail is every raw detail as a JSON array of strings, null for an
//     empty <p>, so that positions and empty fields survive exactly, which
//     no joined text could promise.
//
// Text is written as the roster has it: a cell is not altered to stop a
// spreadsheet reading it as a formula, since the file is data for
// programs as much as for people. Nothing is written when an error is
// returned.
func WriteCSV(w io.Writer, s *snapshot.Snapshot, loc *time.Location) error {
	if s == nil {
		return errNilSnapshot
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("export: writing CSV: %w", err)
	}
	for _, sh := range s.Shifts(loc) {
		var start, end string
		if sh.HasTimes() {
			start, end = snapshot.FormatTime(sh.Start), snapshot.FormatTime(sh.End)
		}
		detail, err := csvDetail(sh.Detail)
		if err != nil {
			return fmt.Errorf("export: writing CSV: shift on %s: %w", sh.Date, err)
		}
		row := []string{
			sh.Date.String(), start, end, sh.Title, sh.Name, sh.Role, string(sh.Kind),
			strings.Join(sh.Warnings, csvWarningSep), detail,
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("export: writing CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: writing CSV: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// csvDetail writes the details as snapshot's JSON does, an array with null
// for an empty field, without escaping "&", "<" and ">" for HTML.
func csvDetail(detail []snapshot.Field) (string, error) {
	if detail == nil {
		detail = []snapshot.Field{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(detail); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
