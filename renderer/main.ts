// Runs in the renderer: starts the Svelte app, opens the config the session started with, and catches up with the party (each page loads its own data).
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { configStore } from './features/dataset/config-store.svelte.js';
import { partyStore } from './features/federation/party-store.svelte.js';
import { startStore } from './features/start/start-store.svelte.js';

mount(App, { target: document.getElementById('app')! });
// With no config to open, the first screen: New site and the recent configs.
void configStore.start().then(startStore.settle);
void partyStore.refresh();
