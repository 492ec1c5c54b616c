package snapshot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// page wraps the children of a roster listview in the structure of a real
// roster page.
func page(list string) string {
	return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8" /><title>RosterOn</title></head>
<body>
<div data-role="page" data-theme="b" id="roster-list">
  <div data-role="header" data-position="fixed"><h1>Roster</h1></div>
  <div data-role="content">
    <ul data-role="listview">
` + list + `
    </ul>
  </div>
</div>
</body></html>`
}

// shift renders a shift <li> holding one <p> per detail, laid out as the
// real pages lay it out when there are four.
func shift(detail ...string) string {
	var b strings.Builder
	writeShift(&b, detail...)
	return b.String()
}

func writeShift(b *strings.Builder, detail ...string) {
	// The indentation copies the real pages', whose size per shift the
	// benchmark relies on.
	b.WriteString(`                <li data-theme="c" style="color:balck">
                      <table style="width:100%" data-theme="c">
`)
	for i, d := range detail {
		switch i {
		case 0:
			b.WriteString("                          <tr>\n                              <td><p>" + d + "</p></td>\n")
		case 1:
			b.WriteString(`                              <td style="text-align:right"><p>` + d + "</p></td>\n                          </tr>\n")
		default:
			b.WriteString("                          <tr style=\"border-collapse:collapse\">\n                              <td><p>" + d + "</p></td>\n                          </tr>\n")
		}
	}
	if len(detail) == 1 {
		b.WriteString("                          </tr>\n")
	}
	b.WriteString("                      </table>\n\n                </li>\n")
}

func divider(text string) string {
	return `                    <li data-role="list-divider">` + text + "</li>\n"
}

func warning(text string) string {
	return `      <table><tr>
        <td><p><img width="50px" height="50px" src="/Content/images/High Importance-100.png" /></p></td>
        <td><text><font face="verdana" size="x-small" color="red">` + text + `</font></text></td>
      </tr></table>
`
}

// genPage builds a roster page of n shifts over consecutive days, with a
// second shift on every fifth day and a warning before every tenth shift,
// at about the size per shift of real pages.
func genPage(tb testing.TB, n int) []byte {
	tb.Helper()
	var b strings.Builder
	b.Grow(n * 900)
	day := time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; {
		fmt.Fprintf(&b, `                    <li data-role="list-divider">%s - ABCDE - Melbourne Office</li>`+"\n", day.Format("Mon 02/01/2006"))
		perDay := 1
		if day.YearDay()%5 == 0 {
			perDay = 2
		}
		for j := 0; j < perDay && i < n; j++ {
			if i%10 == 9 {
				b.WriteString(warning("BLOGGS, JOE: Minimum 10 hours between Allocations"))
			}
			writeShift(&b, fmt.Sprintf("%02d:30 - 18:06", i%24), "", "XYZ &amp; Co", "Assistant")
			i++
		}
		day = day.AddDate(0, 0, 1)
	}
	return []byte(page(b.String()))
}

// interpretedJSON is s with its shifts read in loc, as JSON in the form
// export.WriteShiftsJSON writes (which this package cannot import): the
// snapshot's fields with Shifts for Items.
func interpretedJSON(t testing.TB, s *Snapshot, loc *time.Location) []byte {
	t.Helper()
	out, err := json.Marshal(struct {
		Time  time.Time `json:"time"`
		Items []Shift   `json:"items"`
	}{s.Time, s.Shifts(loc)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
