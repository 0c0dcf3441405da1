#!/usr/bin/env node
import '../dist/iotopo.mjs';
