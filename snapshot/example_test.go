package snapshot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

func ExampleParse() {
	const page = `<!DOCTYPE html>
<html><head><title>RosterOn</title></head><body>
<div data-role="page" id="roster-list">
  <div data-role="content">
    <ul data-role="listview">
      <li data-role="list-divider">Tue 11/06/2019 - ABCDE - Melbourne Office</li>
      <table><tr><td><text><font color="red">BLOGGS, JOE: Minimum 10 hours between Allocations</font></text></td></tr></table>
      <li data-theme="c"><table>
        <tr><td><p>04:40 - 12:40</p></td><td style="text-align:right"><p></p></td></tr>
        <tr><td><p>XYZ</p></td></tr>
        <tr><td><p>Assistant</p></td></tr>
      </table></li>
      <li data-role="list-divider">Wed 12/06/2019 - ABCDE - Melbourne Office</li>
      <li data-theme="c"><table>
        <tr><td><p>Oncall (20:30 - 08:30)</p></td><td style="text-align:right"><p></p></td></tr>
      </table></li>
    </ul>
  </div>
</div>
</body></html>`

	items, err := snapshot.Parse(strings.NewReader(page))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, item := range items {
		fmt.Println(item)
		for _, w := range item.Warnings {
			fmt.Println("  warning:", w)
		}
	}
	fmt.Println(items[0].Date.Weekday(), items[0].Detail[1].Valid)

	// Another page, such as the login page a lapsed session lands on:
	_, err = snapshot.Parse(strings.NewReader(`<div data-role="page" id="account-login"></div>`))
	fmt.Println(errors.Is(err, snapshot.ErrNotRoster))
	fmt.Println(err)

	// Output:
	// <Item (date=2019-06-11, title='ABCDE - Melbourne Office', detail=('04:40 - 12:40', None, 'XYZ', 'Assistant'))>
	//   warning: BLOGGS, JOE: Minimum 10 hours between Allocations
	// <Item (date=2019-06-12, title='ABCDE - Melbourne Office', detail=('Oncall (20:30 - 08:30)', None))>
	// Tuesday false
	// true
	// snapshot: not a roster page: page id is not "roster-list": found "account-login"
}

func ExampleSnapshot_MarshalJSON() {
	snap := snapshot.Snapshot{
		Time: time.Date(2019, time.June, 10, 8, 3, 12, 0, time.UTC),
		Items: []snapshot.Item{{
			Date:   snapshot.Date{Year: 2019, Month: time.June, Day: 11},
			Title:  "ABCDE - Melbourne Office",
			Detail: []snapshot.Field{snapshot.Text("10:30 - 18:06"), snapshot.Empty, snapshot.Text("XYZ"), snapshot.Text("Assistant")},
		}},
	}
	fmt.Println(snap)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(snap); err != nil {
		fmt.Println(err)
	}
	// Output:
	// <Snapshot (time=2019-06-10T08:03:12+00:00, len=1)>
	// {
	//   "time": "2019-06-10T08:03:12Z",
	//   "items": [
	//     {
	//       "date": "2019-06-11",
	//       "title": "ABCDE - Melbourne Office",
	//       "detail": [
	//         "10:30 - 18:06",
	//         null,
	//         "XYZ",
	//         "Assistant"
	//       ]
	//     }
	//   ]
	// }
}
