// Runs in the renderer: starts the Svelte app and opens the config the session started with.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { configStore } from './features/dataset/config-store.svelte.js';

mount(App, { target: document.getElementById('app')! });
void configStore.start();
