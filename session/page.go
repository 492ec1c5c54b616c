package session

import (
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/rosteron/rosteron/internal/oneline"
)

// pageInfo is what the session needs to know of a RosterOn page: the id of
// its jQuery Mobile page div and any validation messages.
type pageInfo struct {
	ID         string
	Validation []string
	Title      string
	// List reports a <ul data-role="listview"> in the page's content,
	// which a roster page has unless a script builds it.
	List bool
	// Shifts reports an item in that list other than a divider: a
	// roster with shifts.
	Shifts bool
}

// inspect reads a page's id and validation messages. Every RosterOn page has
// exactly one <div data-role="page" id="…">; a page without one (a proxy's
// error page, say) has ID "".
func inspect(page string) pageInfo {
	var info pageInfo
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return info
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.DataAtom == atom.Div && attr(n, "data-role") == "page" && info.ID == "":
				info.ID = attr(n, "id")
			case n.DataAtom == atom.Div && hasClass(n, "validation-summary-errors"):
				for li := range n.Descendants() {
					if li.Type == html.ElementNode && li.DataAtom == atom.Li {
						if s := strings.Join(strings.Fields(text(li)), " "); s != "" {
							info.Validation = append(info.Validation, s)
						}
					}
				}
				return
			case n.DataAtom == atom.Title && info.Title == "":
				info.Title = strings.Join(strings.Fields(text(n)), " ")
			case n.DataAtom == atom.Div && attr(n, "data-role") == "content" && info.ID != "":
				for d := range n.Descendants() {
					if d.Type == html.ElementNode && d.DataAtom == atom.Ul && attr(d, "data-role") == "listview" {
						info.List = true
						for li := range d.Descendants() {
							if li.Type == html.ElementNode && li.DataAtom == atom.Li && attr(li, "data-role") != "list-divider" {
								info.Shifts = true
								break
							}
						}
						break
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return info
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			io.WriteString(&b, d.Data)
		}
	}
	return b.String()
}

// describe says in a few words what a page is, for error messages.
func (p pageInfo) describe() string {
	switch {
	case p.ID != "":
		return "a page with id " + pyQuote(p.ID)
	case p.Title != "":
		return "a page that is not RosterOn's, titled " + pyQuote(oneline.Truncate(p.Title, 80))
	default:
		return "a page that is not RosterOn's"
	}
}
