// @vapi-ai/web for the /widget page's "Call us" button: one script, loaded on demand, that puts the
// SDK's Vapi class on window.LivChatVapi (the page starts `new LivChatVapi(publicKey, apiBaseUrl)`).
import Vapi from '@vapi-ai/web';

// The SDK is CommonJS (`exports.default = Vapi`) and this package is an ES module one, so the
// default import is the module's exports object: the class is its `default`.
window.LivChatVapi = typeof Vapi === 'function' ? Vapi : Vapi.default;
