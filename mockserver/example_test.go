package mockserver_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

func ExampleNew() {
	clock := func() time.Time { return time.Date(2019, time.June, 10, 4, 28, 37, 0, time.UTC) }
	srv := httptest.NewServer(mockserver.New(mockserver.WithClock(clock)))
	defer srv.Close()

	// The base URL a client is configured with.
	base := srv.URL + mockserver.DefaultBasePath
	resp, err := http.Get(base + "/Account/Login")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(resp.Header.Get("Date"))
	// Output:
	// 200 OK
	// Mon, 10 Jun 2019 04:28:37 GMT
}

func ExampleRenderRoster() {
	items := []snapshot.Item{{
		Date:   snapshot.Date{Year: 2019, Month: time.June, Day: 11},
		Title:  "Ward 4B - Royal Melbourne",
		Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30"), snapshot.Empty, snapshot.Text("Day Shift"), snapshot.Text("Registered Nurse")},
	}}
	var page bytes.Buffer
	if err := mockserver.RenderRoster(&page, items); err != nil {
		fmt.Println(err)
		return
	}
	parsed, err := snapshot.Parse(&page)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(parsed[0].Date, "|", parsed[0].Title, "|", parsed[0].Detail[0].Value, "|", parsed[0].Detail[1].Valid)
	// Output: 2019-06-11 | Ward 4B - Royal Melbourne | 07:00 - 15:30 | false
}

func ExampleWithStepFault() {
	// Every step answers but the roster, which a stopped application
	// behind the web server cannot serve.
	srv := mockserver.New(mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultUnavailable))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()

	base := ts.URL + srv.BasePath()
	for _, path := range []string{"/Account/Login", "/Roster/List"} {
		resp, err := http.Get(base + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(path, resp.Status)
	}
	// Output:
	// /Account/Login 200 OK
	// /Roster/List 503 Service Unavailable
}
