package mockserver

import (
	"fmt"
	"html/template"
	"io"
	"sync"
)

// The pages follow the structure of real RosterOn Mobile pages (one jQuery
// Mobile page div whose id names the page, a content div, the same form
// fields and roster list) but their wording and styling are the mock's own.

type layoutView struct {
	Base  string
	Title string
	// Stack, when set, makes the page load the realistic script stack.
	Stack *stackView
}

func (s *Server) layout(title string) layoutView {
	return layoutView{Base: s.base, Title: title, Stack: s.stack.view()}
}

type loginView struct {
	layoutView
	Action   string
	Token    string
	UserName string
	Errors   []string
	Scripted bool
	// ScriptField, when set, is a hidden field of the form as sent,
	// empty until an inline script sets it (FaultScriptLoginField).
	ScriptField *scriptField
}

type scriptField struct{ Name, Value string }

type homeView struct {
	layoutView
	Name string
}

type rosterView struct {
	layoutView
	Groups []rosterGroup
	// ListHTML, when set, is the list, which an inline script builds
	// after load instead of the page holding it (FaultScriptRoster).
	ListHTML string
	// Fill, with ItemsHTML the list's items, makes the page hold an
	// empty list that an inline script fills after load
	// (FaultScriptFillsRoster).
	Fill      bool
	ItemsHTML string
	// PageScript makes the page hold no page element but a script that
	// asks for it with XMLHttpRequest after load
	// (FaultScriptRosterPage).
	PageScript bool
}

type errorView struct {
	App        string
	Status     int
	StatusText string
	Message    string
}

type movedView struct {
	Location string
}

// layoutTemplate is every RosterOn page's frame. With the realistic stack,
// the head links the style bundles and the body ends with the script
// bundles and inline scripts as real pages' do (written here in our own
// words): jQuery Mobile is told, before it starts, that forms post and
// links load whole pages; once the page is ready a script looks for the
// highlighted row through .live(), which only jQuery Migrate provides.
// Debian's jQuery Mobile 1.4 predates its jQuery 3.6, which dropped
// $.event.props: the first inline script gives it back, so that jQuery
// Mobile starts and enhances every page as it does on real instances.
const layoutTemplate = `<!DOCTYPE html>
<html lang="en-AU">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
{{- if .Stack}}
<link href="{{.Base}}/Content/mobileCss?v={{.Stack.MobileCSS}}" rel="stylesheet">
<link href="{{.Base}}/Content/css?v={{.Stack.SiteCSS}}" rel="stylesheet">
{{- else}}
<link rel="stylesheet" href="{{.Base}}/Content/site.css">
{{- end}}
</head>
<body>
{{template "body" .}}
{{- if .Stack}}
<script src="{{.Base}}/bundles/jquery?v={{.Stack.JQuery}}"></script>
<script src="{{.Base}}` + migratePath + `"></script>
<script>
$.event.props = $.event.props || [];
$(document).on("mobileinit", function () {
  $.mobile.ajaxEnabled = false;
});
</script>
<script src="{{.Base}}/bundles/jquerymobile?v={{.Stack.Mobile}}"></script>
<script>
$(function () {
  document.documentElement.className += " js";
});
$(document).live("pageshow", function () {
  var row = document.getElementById("currentRow");
  if (row !== null) {
    row.scrollIntoView();
  }
});
</script>
{{- else}}
<script src="{{.Base}}/Scripts/site.js"></script>
{{- end}}
</body>
</html>
`

const loginTemplate = `{{define "body" -}}
<div data-role="page" data-theme="b" id="account-login">
  <div data-role="header" data-position="fixed">
    <h1>Sign in</h1>
  </div>
  <div data-role="content" id="content">
{{- if .Scripted}}
    <div id="login-placeholder"><p>Preparing the sign-in form&hellip;</p></div>
    <script>
    (function () {
      var view = {
        action: {{.Action}},
        token: {{.Token}},
        userName: {{.UserName}},
        errors: {{.Errors}}
      };
      function make(tag, attrs, text) {
        var e = document.createElement(tag);
        for (var k in attrs) {
          if (Object.prototype.hasOwnProperty.call(attrs, k)) {
            e.setAttribute(k, attrs[k]);
          }
        }
        if (text !== undefined && text !== null) {
          e.appendChild(document.createTextNode(text));
        }
        return e;
      }
      function field(id, label, type, value) {
        var li = make('li', {'data-role': 'fieldcontain', 'data-theme': 'c'});
        li.appendChild(make('label', {'for': id}, label));
        var attrs = {id: id, name: id, type: type};
        if (value !== null) {
          attrs.value = value;
        }
        li.appendChild(make('input', attrs));
        return li;
      }
      function build() {
        var form = make('form', {action: view.action, method: 'post', 'data-ajax': 'false'});
        form.appendChild(make('input', {name: '__RequestVerificationToken', type: 'hidden', value: view.token}));
        var errors = view.errors || [];
        var summary = make('div', {
          'class': errors.length ? 'validation-summary-errors' : 'validation-summary-valid',
          'data-valmsg-summary': 'true'
        });
        var messages = make('ul', {});
        if (errors.length) {
          for (var i = 0; i < errors.length; i++) {
            messages.appendChild(make('li', {}, errors[i]));
          }
        } else {
          messages.appendChild(make('li', {style: 'display:none'}));
        }
        summary.appendChild(messages);
        form.appendChild(summary);
        var list = make('ul', {'data-role': 'listview', 'data-inset': 'true'});
        list.appendChild(make('li', {'data-role': 'list-divider'}, 'Sign in with your RosterOn account'));
        list.appendChild(field('UserName', 'User name', 'text', view.userName));
        list.appendChild(field('Password', 'Password', 'password', null));
        form.appendChild(list);
        form.appendChild(make('input', {id: 'loginButton', type: 'submit', value: 'Log in', 'data-ajax': 'false'}));
        var placeholder = document.getElementById('login-placeholder');
        placeholder.parentNode.replaceChild(form, placeholder);
      }
      window.addEventListener('load', function () { setTimeout(build, 50); });
    })();
    </script>
{{- else}}
    <form action="{{.Action}}" method="post" data-ajax="false">
      <input name="__RequestVerificationToken" type="hidden" value="{{.Token}}">
{{- with .ScriptField}}
      <input name="{{.Name}}" type="hidden" value="">
      <script>document.querySelector('input[name="{{.Name}}"]').value = {{.Value}};</script>
{{- end}}
{{- if .Errors}}
      <div class="validation-summary-errors" data-valmsg-summary="true"><ul>{{range .Errors}}<li>{{.}}</li>{{end}}</ul></div>
{{- else}}
      <div class="validation-summary-valid" data-valmsg-summary="true"><ul><li style="display:none"></li></ul></div>
{{- end}}
      <ul data-role="listview" data-inset="true">
        <li data-role="list-divider">Sign in with your RosterOn account</li>
        <li data-role="fieldcontain" data-theme="c">
          <label for="UserName">User name</label>
          <input id="UserName" name="UserName" type="text" value="{{.UserName}}">
        </li>
        <li data-role="fieldcontain" data-theme="c">
          <label for="Password">Password</label>
          <input id="Password" name="Password" type="password">
        </li>
      </ul>
      <input id="loginButton" type="submit" value="Log in" data-ajax="false">
    </form>
{{- end}}
  </div>
</div>
{{- end}}`

const homeTemplate = `{{define "body" -}}
<div data-role="page" data-theme="b" id="home-index">
  <div data-role="header" data-position="fixed">
    <h1>RosterOn</h1>
    <a href="{{.Base}}/Account/LogOff" data-ajax="false" data-icon="gear">Log Off</a>
  </div>
  <div data-role="content" id="content">
    Welcome {{.Name}}
    <ul data-role="listview" data-inset="true">
      <li data-role="list-divider">What would you like to see?</li>
      <li data-theme="c"><a href="{{.Base}}/Roster/List?pageNo=1&amp;row=1">Roster</a></li>
      <li data-theme="c"><a href="{{.Base}}/Account/LogOff" data-ajax="false">Log Off</a></li>
    </ul>
  </div>
</div>
{{- end}}`

// The roster list keeps the real page's quirks on purpose: warnings are bare
// tables straight inside the <ul>, which parsers must cope with.
const rosterTemplate = `{{define "body" -}}
{{- if .PageScript}}
<div id="roster-loading"><p>Loading your roster&hellip;</p></div>
<script>
(function () {
  window.addEventListener('load', function () {
    var xhr = new XMLHttpRequest();
    xhr.open('GET', location.href);
    xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    xhr.onload = function () {
      var holder = document.getElementById('roster-loading');
      var box = document.createElement('div');
      box.innerHTML = xhr.responseText;
      holder.parentNode.replaceChild(box.firstElementChild, holder);
    };
    xhr.send();
  });
})();
</script>
{{- else}}
{{- template "rosterpage" .}}
{{- end}}
{{- end}}
{{define "rosterpage" -}}
<div data-role="page" data-theme="b" id="roster-list">
  <div data-role="header" data-position="fixed">
    <a href="{{.Base}}/" data-icon="arrow-l">Back</a>
    <h1>My Roster</h1>
  </div>
  <div data-role="content">
{{- if .ListHTML}}
    <div id="roster-placeholder"><p>Loading your roster&hellip;</p></div>
    <script>
    (function () {
      var list = {{.ListHTML}};
      window.addEventListener('load', function () {
        setTimeout(function () {
          var holder = document.getElementById('roster-placeholder');
          var box = document.createElement('div');
          box.innerHTML = list;
          holder.parentNode.replaceChild(box.firstElementChild, holder);
        }, 50);
      });
    })();
    </script>
{{- else if .Fill}}
    <ul data-role="listview" id="roster-items"></ul>
    <script>
    (function () {
      var items = {{.ItemsHTML}};
      window.addEventListener('load', function () {
        setTimeout(function () {
          var list = document.getElementById('roster-items');
          list.innerHTML = items;
          if (window.jQuery && jQuery.fn.listview) {
            try { jQuery(list).listview('refresh'); } catch (e) {}
          }
        }, 50);
      });
    })();
    </script>
{{- else}}
{{template "rosterlist" .}}
{{- end}}
  </div>
</div>
{{- end}}
{{define "rosterlist"}}    <ul data-role="listview">
{{- template "rosteritems" .}}
    </ul>
{{- end}}
{{define "rosteritems"}}
{{- range .Groups}}
      <li data-role="list-divider">{{.Heading}}</li>
{{- range .Shifts}}
{{- range .Warnings}}
      <table>
        <tr>
          <td><p><img src="{{$.Base}}/Content/images/warning.svg" alt="" width="32" height="32"></p></td>
          <td><text><font color="red">{{.}}</font></text></td>
        </tr>
      </table>
{{- end}}
      <li data-theme="c">
        <table style="width:100%">
{{- if .HasLeft}}
          <tr>
            <td><p>{{.Left}}</p></td>
{{- if .HasRight}}
            <td style="text-align:right"><p>{{.Right}}</p></td>
{{- end}}
          </tr>
{{- end}}
{{- range .Rest}}
          <tr>
            <td><p>{{.}}</p></td>
          </tr>
{{- end}}
        </table>
      </li>
{{- end}}
{{- end}}
{{- end}}`

const errorTemplate = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{{.Message}}</title>
<style>
body { font-family: Verdana, sans-serif; background: #fff; color: #000; margin: 1em 2em; }
h1 { font-weight: normal; font-size: 18pt; color: #c00; }
h2 { font-weight: normal; font-style: italic; font-size: 14pt; color: #800000; }
.detail { background: #ffffcc; padding: .5em; font-family: Consolas, monospace; font-size: 10pt; }
</style>
</head>
<body>
<h1>Server Error in '{{.App}}' Application.</h1>
<hr>
<h2>{{.Message}}</h2>
<p><b>Description:</b> The server could not complete the request. The message above says why.</p>
<p class="detail"><b>HTTP status:</b> {{.Status}} {{.StatusText}}</p>
<hr>
<p><small>RosterOn mock server</small></p>
</body>
</html>
`

const notFoundTemplate = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>404 - Not Found</title>
</head>
<body>
<h1>404 - Not Found</h1>
<p>Nothing is served at this address.</p>
</body>
</html>
`

const proxyTemplate = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Access Denied</title>
</head>
<body style="font-family: Verdana, sans-serif">
<h1>Access Denied</h1>
<p>The gateway between you and this site refused the request.</p>
<p>The network's web access policy blocks this address. If you need it for work, ask your IT service desk to review the policy.</p>
<hr>
<p>Technical information: 403 Forbidden (policy denial).</p>
</body>
</html>
`

const unavailableTemplate = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Service Unavailable</title>
</head>
<body>
<h1>Service Unavailable</h1>
<p>The web server is up but the application behind it is not answering. Try again in a few minutes.</p>
<hr>
<p>HTTP status 503</p>
</body>
</html>
`

const movedTemplate = `<html><head><title>Moved</title></head><body><h2>This page has moved to <a href="{{.Location}}">{{.Location}}</a>.</h2></body></html>
`

// templates are parsed once, on first use, and only read afterwards; a
// parse error surfaces as an error from execute instead of a panic.
var templates = sync.OnceValues(parseTemplates)

func parseTemplates() (map[string]*template.Template, error) {
	layout, err := template.New("layout").Parse(layoutTemplate)
	if err != nil {
		return nil, err
	}
	set := make(map[string]*template.Template)
	for name, body := range map[string]string{"login": loginTemplate, "home": homeTemplate, "roster": rosterTemplate} {
		t, err := layout.Clone()
		if err == nil {
			_, err = t.Parse(body)
		}
		if err != nil {
			return nil, fmt.Errorf("mockserver: template %s: %w", name, err)
		}
		set[name] = t
	}
	for name, text := range map[string]string{"error": errorTemplate, "notfound": notFoundTemplate, "proxy403": proxyTemplate, "unavailable": unavailableTemplate, "moved": movedTemplate} {
		t, err := template.New(name).Parse(text)
		if err != nil {
			return nil, fmt.Errorf("mockserver: template %s: %w", name, err)
		}
		set[name] = t
	}
	return set, nil
}

func execute(w io.Writer, name string, view any) error {
	return executePart(w, name, "", view)
}

// executePart runs the named part of a template ("" for the whole).
func executePart(w io.Writer, name, part string, view any) error {
	set, err := templates()
	if err != nil {
		return err
	}
	t, ok := set[name]
	if !ok {
		return fmt.Errorf("mockserver: no template %q", name)
	}
	if part != "" {
		return t.ExecuteTemplate(w, part, view)
	}
	return t.Execute(w, view)
}
