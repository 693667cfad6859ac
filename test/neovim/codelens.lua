-- Drives the kbloat language server from Neovim 0.7's built-in LSP client:
-- opens a C file of a kernel build, waits for the index (kbloat/status), asks for
-- CodeLens and checks the sizes of the functions the test expects.
-- Run: nvim --headless -n -i NONE -u NONE -c 'luafile test/neovim/codelens.lua'
-- Environment: KBLOAT_SERVER (dist/server.js), KBLOAT_ROOT (the workspace folder),
-- KBLOAT_FILE (the C file), KBLOAT_EXPECTED (JSON: [{ name, line (0-based), size }]).
-- Exits 0 when every expected lens is there with its size, else 1 (cquit).

local function fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n')
  vim.cmd('cquit 1')
end

local function env(name)
  local v = os.getenv(name)
  if not v or v == '' then fail(name .. ' is not set') end
  return v
end

local ok, err = pcall(function()
  local root = env('KBLOAT_ROOT')
  local expected = vim.fn.json_decode(table.concat(vim.fn.readfile(env('KBLOAT_EXPECTED')), '\n'))

  local settings = { kbloat = { buildDirectory = '', codeLens = { enabled = true }, newCode = { enabled = true } } }
  local state
  local client_id = vim.lsp.start_client({
    name = 'kbloat',
    cmd = { 'node', env('KBLOAT_SERVER'), '--stdio' },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = 'kernel' } },
    handlers = {
      -- The server asks for its settings per document, section 'kbloat'.
      ['workspace/configuration'] = function(_, params)
        local out = {}
        for i, item in ipairs(params.items) do out[i] = settings[item.section] or vim.NIL end
        return out
      end,
      -- The index state: no-build, indexing, ready, stale or error.
      ['kbloat/status'] = function(_, params)
        state = params.state
        if params.state == 'error' then fail('the server says: ' .. tostring(params.message)) end
      end,
    },
  })
  if not client_id then fail('the language server did not start') end

  vim.cmd('edit ' .. vim.fn.fnameescape(env('KBLOAT_FILE')))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'c'
  vim.lsp.buf_attach_client(bufnr, client_id)

  if not vim.wait(60000, function() return state == 'ready' end, 50) then fail('no ready index within 60 s (state: ' .. tostring(state) .. ')') end

  -- The file is parsed once opened: ask until the lenses of its functions are there.
  local lenses = {}
  local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
  vim.wait(30000, function()
    local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeLens', params, 5000) or {}
    local r = responses[client_id]
    lenses = (r and r.result) or {}
    return #lenses > 1
  end, 100)
  if #lenses <= 1 then fail('no function lenses within 30 s') end

  for _, fn in ipairs(expected) do
    local title
    for _, lens in ipairs(lenses) do
      if lens.range.start.line == fn.line and lens.command then title = lens.command.title end
    end
    if not title then fail(fn.name .. ': no lens on line ' .. (fn.line + 1)) end
    local number, unit = title:match('^([%d,%.]+) (%a+) in vmlinux')
    if not number then fail(fn.name .. ': lens "' .. title .. '" has no size in vmlinux') end
    local value = tonumber((number:gsub(',', '')))
    local scale = ({ B = 1, KiB = 1024, MiB = 1024 * 1024 })[unit]
    if not scale then fail(fn.name .. ': unknown unit in "' .. title .. '"') end
    local slack = scale == 1 and 0 or 0.05 * scale
    if math.abs(value * scale - fn.size) > slack then fail(fn.name .. ': lens "' .. title .. '" but nm -S says ' .. fn.size .. ' B') end
    io.stdout:write(fn.name .. ': ' .. title .. '\n')
  end
  vim.lsp.stop_client(client_id)
end)
if not ok then fail(tostring(err)) end
vim.cmd('qall!')
