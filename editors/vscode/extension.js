// Starts `floe lsp` for YAML files; the server checks floe.yaml and manifest.yaml (by
// name, `kind:` or schema modeline) and leaves other YAML files alone.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("floe").get("command");
  client = new LanguageClient(
    "floe",
    "floe",
    { command, args },
    { documentSelector: [{ scheme: "file", language: "yaml" }] },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
