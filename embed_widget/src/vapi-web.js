// @vapi-ai/web for the /widget page's "Call us" button: one script, loaded on demand, that puts the
// SDK's Vapi class on window.LivChatVapi (the page starts `new LivChatVapi(publicKey, apiBaseUrl)`).
import Vapi from '@vapi-ai/web';

window.LivChatVapi = Vapi;
