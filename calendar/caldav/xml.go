package caldav

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rosteron/rosteron/calendar"
)

const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
)

// multistatus is a WebDAV 207 answer (RFC 4918, 14.16), with the few
// properties rosteron asks for.
type multistatus struct {
	XMLName   xml.Name     `xml:"DAV: multistatus"`
	Responses []msResponse `xml:"DAV: response"`
}

type msResponse struct {
	Hrefs    []string     `xml:"DAV: href"`
	Status   string       `xml:"DAV: status"`
	Propstat []msPropstat `xml:"DAV: propstat"`
}

type msPropstat struct {
	Status string `xml:"DAV: status"`
	Prop   msProp `xml:"DAV: prop"`
}

type msProp struct {
	ResourceType *msResourceType `xml:"DAV: resourcetype"`
	DisplayName  *string         `xml:"DAV: displayname"`
	ETag         *string         `xml:"DAV: getetag"`
	CTag         *string         `xml:"http://calendarserver.org/ns/ getctag"`
	SyncToken    *string         `xml:"DAV: sync-token"`
	CalendarData *string         `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	Principal    *msHrefs        `xml:"DAV: current-user-principal"`
	HomeSet      *msHrefs        `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
	Components   *msComponents   `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
}

type msResourceType struct {
	Types []struct {
		XMLName xml.Name
	} `xml:",any"`
}

func (r *msResourceType) is(space, local string) bool {
	if r == nil {
		return false
	}
	for _, t := range r.Types {
		if t.XMLName.Space == space && t.XMLName.Local == local {
			return true
		}
	}
	return false
}

type msHrefs struct {
	Hrefs []string `xml:"DAV: href"`
}

type msComponents struct {
	Comps []struct {
		Name string `xml:"name,attr"`
	} `xml:"urn:ietf:params:xml:ns:caldav comp"`
}

// statusCode reads "HTTP/1.1 200 OK"; 0 when it cannot.
func statusCode(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// props returns what the response found: the properties of its 2xx
// propstats. Servers list the ones they lack under 404, as empty
// elements, which must not count as present.
func (r *msResponse) props() msProp {
	var p msProp
	for _, ps := range r.Propstat {
		if statusCode(ps.Status)/100 != 2 {
			continue
		}
		q := ps.Prop
		if q.ResourceType != nil {
			p.ResourceType = q.ResourceType
		}
		if q.DisplayName != nil {
			p.DisplayName = q.DisplayName
		}
		if q.ETag != nil {
			p.ETag = q.ETag
		}
		if q.CTag != nil {
			p.CTag = q.CTag
		}
		if q.SyncToken != nil {
			p.SyncToken = q.SyncToken
		}
		if q.CalendarData != nil {
			p.CalendarData = q.CalendarData
		}
		if q.Principal != nil {
			p.Principal = q.Principal
		}
		if q.HomeSet != nil {
			p.HomeSet = q.HomeSet
		}
		if q.Components != nil {
			p.Components = q.Components
		}
	}
	return p
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func parseMultistatus(data []byte) (*multistatus, error) {
	var ms multistatus
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&ms); err != nil {
		return nil, fmt.Errorf("the answer is not a WebDAV multistatus: %w", err)
	}
	return &ms, nil
}

// resolve reads href against base.
func resolve(base *url.URL, href string) (*url.URL, error) {
	ref, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return nil, fmt.Errorf("an unreadable href %q: %w", href, err)
	}
	return base.ResolveReference(ref), nil
}

// sameResource reports whether a and b name one resource, whatever the
// trailing slash and the escaping of the path.
func sameResource(a, b *url.URL) bool {
	if originOf(a) != originOf(b) {
		return false
	}
	return strings.TrimSuffix(a.Path, "/") == strings.TrimSuffix(b.Path, "/")
}

// propfindBody asks for the properties named, each "ns local".
func propfindBody(props ...[2]string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:prop>`)
	for _, p := range props {
		prefix := map[string]string{nsDAV: "D", nsCalDAV: "C", nsCS: "CS"}[p[0]]
		b.WriteString("<" + prefix + ":" + p[1] + "/>")
	}
	b.WriteString(`</D:prop></D:propfind>`)
	return []byte(b.String())
}

var (
	propResourceType = [2]string{nsDAV, "resourcetype"}
	propDisplayName  = [2]string{nsDAV, "displayname"}
	propCTag         = [2]string{nsCS, "getctag"}
	propSyncToken    = [2]string{nsDAV, "sync-token"}
	propPrincipal    = [2]string{nsDAV, "current-user-principal"}
	propHomeSet      = [2]string{nsCalDAV, "calendar-home-set"}
	propComponents   = [2]string{nsCalDAV, "supported-calendar-component-set"}
)

// calendarQuery asks for every event of a calendar with its data and ETag
// (RFC 4791, 7.8).
const calendarQuery = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>`

// calendarQueryFor asks for the events whose PropAccount holds account
// (a text-match is a substring's), with their data and ETags; every
// event when account cannot be matched as it is written (a character
// iCalendar escapes in it).
func calendarQueryFor(account string) []byte {
	if account == "" || strings.ContainsAny(account, "\\;,\r\n") || !utf8.ValidString(account) {
		return []byte(calendarQuery)
	}
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(account))
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
		`<C:prop-filter name="` + calendar.PropAccount + `"><C:text-match collation="i;octet">` + esc.String() + `</C:text-match></C:prop-filter>` +
		`</C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`)
}

// mkcalendarBody makes a calendar of events named name (RFC 4791, 5.3.1).
func mkcalendarBody(name string) []byte {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(name))
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>` +
		`<D:displayname>` + esc.String() + `</D:displayname>` +
		`<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>` +
		`</D:prop></D:set></C:mkcalendar>`)
}
