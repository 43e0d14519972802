// The widget's look, inside its shadow root so the host page's styles neither leak in nor out.

export const widgetStyle = `
:host { all: initial; font: 14px/1.4 system-ui, sans-serif; color: #1d2733; }
.launcher { position: fixed; right: 20px; bottom: 20px; padding: 10px 18px; border: 0; border-radius: 20px;
  background: #1f6feb; color: #fff; font: inherit; cursor: pointer; z-index: 2147483646; }
.panel { position: fixed; right: 20px; bottom: 70px; width: 340px; max-height: 520px; display: flex;
  flex-direction: column; background: #fff; border: 1px solid #c8d1dc; border-radius: 8px;
  box-shadow: 0 6px 24px rgba(0,0,0,.18); z-index: 2147483647; }
.panel[hidden] { display: none; }
header { padding: 10px 12px; background: #1f6feb; color: #fff; font-weight: 600; border-radius: 8px 8px 0 0; }
.status, .typing, .error { margin: 6px 12px; font-size: 12px; color: #57606a; }
.error { color: #b42318; }
.log { list-style: none; margin: 0; padding: 8px 12px; overflow-y: auto; flex: 1; min-height: 120px; }
.msg { margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; }
.msg .who { display: block; font-size: 11px; color: #57606a; }
.msg.customer { text-align: end; }
.msg.system { font-style: italic; color: #57606a; }
.read { display: block; font-size: 10px; color: #57606a; }
.body { padding: 8px 12px; border-top: 1px solid #e5e9ef; }
label { display: block; margin-bottom: 6px; font-size: 12px; }
input, select, textarea { display: block; width: 100%; box-sizing: border-box; font: inherit; }
.composer { display: flex; gap: 4px; flex-wrap: wrap; }
.composer textarea { flex: 1 1 100%; }
button { font: inherit; }
`;
