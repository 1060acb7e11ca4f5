// The validator page: runs ocpp201 (ocpp201.cli.validate / .example) in Pyodide.
// Pyodide and the wheels are served by the site itself (assembled by
// `python -m codegen.site`): nothing is fetched from anywhere else.
const base = new URL("../", import.meta.url);
const $ = (id) => document.getElementById(id);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function show(report) {
  const out = $("v-output");
  out.replaceChildren();
  out.dataset.valid = String(report.valid);
  const s = report.summary;
  out.append(element("p",
    `${s.messages} message(s): ${s.valid} valid, ${s.invalid} invalid, ${s.unchecked} unchecked`,
    report.valid ? "v-valid v-summary" : "v-invalid v-summary"));
  for (const r of report.results) {
    const what = [r.kind, r.action, r.messageId !== null ? `id=${r.messageId}` : "",
      r.identity ? `[${r.identity}]` : ""].filter(Boolean).join(" ");
    const head = element("p");
    head.append(element("span", `line ${r.line}: ${what}: `));
    head.append(element("span", r.status, `v-${r.status}`));
    out.append(head);
    if (r.problems.length) {
      const table = element("table", undefined, "v-problems");
      const header = element("tr");
      for (const h of ["Path", "Error code", "Problem"]) header.append(element("th", h));
      table.append(header);
      for (const p of r.problems) {
        const row = element("tr");
        row.append(element("td", p.path), element("td", p.code ?? "(no answer)"),
          element("td", p.message));
        table.append(row);
      }
      out.append(table);
    }
    if (r.answer) {
      out.append(element("p", "A receiver answers:"));
      out.append(element("pre", r.answer, "v-answer"));
    }
    if (r.note) out.append(element("p", r.note, "v-note"));
  }
}

async function main() {
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(new URL("pyodide/pyodide.mjs", base).href));
  } catch (error) {
    $("v-status").textContent =
      "Pyodide is missing: build the site with `python -m codegen.site`.";
    return;
  }
  const pyodide = await loadPyodide({ indexURL: new URL("pyodide/", base).href });
  const wheels = await (await fetch(new URL("wheels/wheels.json", base))).json();
  for (const name of wheels) {
    const data = await (await fetch(new URL(`wheels/${name}`, base))).arrayBuffer();
    pyodide.FS.writeFile(`/tmp/${name}`, new Uint8Array(data));
  }
  pyodide.globals.set("WHEELS", pyodide.toPy(wheels));
  await pyodide.runPythonAsync(`
import importlib, json, site, zipfile
for name in WHEELS:
    zipfile.ZipFile("/tmp/" + name).extractall(site.getsitepackages()[0])
importlib.invalidate_caches()
import ocpp201
from ocpp201 import Action, _framing
from ocpp201.cli.example import example_payload, message_class
from ocpp201.cli.validate import check_text

def validate(text, action, kind):
    return json.dumps(check_text(text, action=action, kind=kind).to_json())

def example(action, response):
    payload = example_payload(message_class(action, response=response))
    if response:
        return _framing.encode_call_result("19223201", payload)
    return _framing.encode_call("19223201", action, payload)

ACTIONS = json.dumps([a.value for a in Action])
`);
  const validate = pyodide.globals.get("validate");
  const example = pyodide.globals.get("example");
  const select = $("v-action");
  for (const name of JSON.parse(pyodide.globals.get("ACTIONS"))) {
    select.append(element("option", name));
  }
  $("v-example").addEventListener("click", () => {
    $("v-input").value = example(select.value, $("v-kind").value === "response");
  });
  $("v-validate").addEventListener("click", () => {
    const text = $("v-input").value;
    if (!text.trim()) {
      $("v-output").textContent = "Paste a frame first.";
      return;
    }
    show(JSON.parse(validate(text, select.value, $("v-kind").value)));
  });
  for (const id of ["v-action", "v-kind", "v-example", "v-validate"]) $(id).disabled = false;
  const version = pyodide.runPython("ocpp201.__version__");
  $("v-status").textContent = `Ready: ocpp201 ${version} running in Pyodide ${pyodide.version}.`;
  $("v-status").dataset.ready = "true";
}

main().catch((error) => {
  $("v-status").textContent = `The validator could not start: ${error}`;
  $("v-status").dataset.ready = "error";
});
